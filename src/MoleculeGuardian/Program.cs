using MoleculeGuardian.Cli;

// Thin on purpose: everything, including exit codes, lives in GuardianCli so tests can run it in-process too.
return await GuardianCli.RunAsync(args, Console.Out, Console.Error);
