using MoleculeGuardian.Cli;

// Thin on purpose: everything, including exit codes, lives in GuardianCli so tests can run it in-process too.
// This build has no metrics exporter; molecule-guardian-otel is the one that has.
return await GuardianCli.RunAsync(args, Console.Out, Console.Error);
