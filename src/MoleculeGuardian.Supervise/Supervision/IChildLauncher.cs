namespace MoleculeGuardian.Supervision;

/// <summary>What to start: a command, as which user, where, with which environment, and what to do with its stdout.</summary>
internal sealed record ChildSpec(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>
    /// The user to start it as, as <c>Supervisor:RunAs</c> gives it (resolved at each start by
    /// <see cref="ChildUsers.ResolveRunAs"/>); null: the supervisor's own user.
    /// </summary>
    public string? RunAs { get; init; }

    /// <summary>Where it starts; null: the supervisor's own working directory (the container's).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Read stdout instead of sharing the supervisor's (the one-shot heal's plain answer line).</summary>
    public bool CaptureOutput { get; init; }

    /// <summary>
    /// Null: the supervisor's whole environment. Otherwise exactly these variables, plus HOME, USER and LOGNAME of the
    /// user the child runs as, from the user database (<see cref="GuardianEnvironment"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public string Describe() => string.Join(' ', Arguments.Prepend(FileName));
}

/// <summary>A started child: the seam that lets the supervisor's loop be tested with fake children.</summary>
internal interface IChildProcess
{
    int Pid { get; }

    /// <summary>Completes with the exit status, 128+n for a child killed by signal n (as a shell reports it).</summary>
    Task<int> Exited { get; }

    /// <summary>The captured stdout (empty unless <see cref="ChildSpec.CaptureOutput"/>), complete once the child exited.</summary>
    Task<string> Output { get; }

    /// <summary>Sends a signal unless the child has already been seen to exit.</summary>
    void Signal(int signal);
}

internal interface IChildLauncher
{
    /// <summary>Starts the child; throws (a <see cref="System.ComponentModel.Win32Exception"/> or
    /// <see cref="InvalidOperationException"/>) when it cannot be started: no such file, no such user.</summary>
    IChildProcess Start(ChildSpec spec);
}
