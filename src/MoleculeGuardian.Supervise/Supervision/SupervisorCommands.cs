namespace MoleculeGuardian.Supervision;

/// <summary>The three commands the supervisor starts.</summary>
internal sealed record SupervisorCommands(ChildSpec Heal, ChildSpec Guardian, ChildSpec Runtime)
{
    /// <summary>
    /// <c>heal</c> runs as the supervisor (root in the image: it switches to the settings directory's owner itself);
    /// <c>run</c> as <see cref="SupervisorOptions.RunAs"/> when the supervisor is root. Both get the same
    /// configuration overrides and the allowlisted <paramref name="guardianEnvironment"/>, and start in
    /// <see cref="SupervisorOptions.WorkingDirectory"/> (<c>/</c>: they use absolute paths only, and read
    /// appsettings.json from the binary's directory). The runtime gets the supervisor's whole environment and working
    /// directory, as the image would start it: its entrypoint may rely on the image's WORKDIR.
    /// </summary>
    public static SupervisorCommands From(SupervisorOptions options, IReadOnlyList<string> configArgs, IReadOnlyList<string> runtime,
        IReadOnlyDictionary<string, string> guardianEnvironment, bool privileged)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runtime);
        var heal = new ChildSpec(options.GuardianPath, ["heal", .. configArgs])
        {
            CaptureOutput = true,
            WorkingDirectory = options.WorkingDirectory,
            Environment = guardianEnvironment,
        };
        var guardian = heal with
        {
            Arguments = ["run", .. configArgs],
            CaptureOutput = false,
            RunAs = privileged && options.RunAs.Length > 0 ? options.RunAs : null,
        };
        return new SupervisorCommands(heal, guardian, new ChildSpec(runtime[0], [.. runtime.Skip(1)]));
    }
}
