using MoleculeGuardian.Cli;
using MoleculeGuardian.Telemetry;

// molecule-guardian with the OTLP exporter: the same command line, `run` exporting when an endpoint is set.
return await GuardianCli.RunAsync(args, Console.Out, Console.Error, MetricsExport.Register);
