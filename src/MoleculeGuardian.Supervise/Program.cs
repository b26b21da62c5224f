using MoleculeGuardian.Supervision;

// The container's entrypoint (under tini): everything lives in SuperviseCommand so tests can run it in-process too.
return await SuperviseCommand.RunAsync(args, Console.Out, Console.Error);
