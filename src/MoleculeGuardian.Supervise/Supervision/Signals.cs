using System.Globalization;
using System.Runtime.InteropServices;

namespace MoleculeGuardian.Supervision;

/// <summary>Where a signal the supervisor receives goes.</summary>
internal enum SignalRoute
{
    /// <summary>Not registered: the supervisor's default (or the .NET runtime's own handling) applies.</summary>
    NotHandled,

    /// <summary>The container is being stopped: to every child, and nothing is restarted after it.</summary>
    Stop,

    /// <summary>The runtime's business: to the runtime alone; the supervisor and the guardian's children run on.</summary>
    Runtime,
}

/// <summary>
/// What the supervisor does with each signal. In the image, tini (PID 1) passes on every signal it can catch except
/// SIGCHLD and the ones it keeps for itself: SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS, and SIGTTIN and
/// SIGTTOU, which it ignores (krallin/tini, src/tini.c, <c>configure_signals</c>). A signal the supervisor does not
/// handle ends it by its default action, tini exits, and the kernel kills the runtime with the namespace. So:
/// <code>
/// signal                                  route      why
/// SIGTERM, SIGINT                         Stop       the container is being stopped: every child gets it (the runtime
///                                                    exits with its own status), no restarts after it
/// SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,      Runtime    the runtime's to act on (reload, dump, rotate...). Not to the
/// SIGALRM, SIGVTALRM, SIGPROF, SIGIO,                guardian's children: .NET dies of SIGHUP, SIGUSR1/2 and the rest
/// SIGPWR, SIGSTKFLT, SIGXCPU, SIGXFSZ                by their default action, and its host stops on SIGQUIT, so `run`
///                                                    would only be restarted for nothing and `heal` fail
/// SIGWINCH, SIGURG, SIGCONT               Runtime    ignored (or "continue") by default; the runtime may use them, as
///                                                    for a terminal resized under `docker run -t`
/// SIGTSTP, SIGTTIN, SIGTTOU               Runtime    job control stops the runtime, not the supervisor, which must go
///                                                    on reaping and forwarding; SIGCONT resumes it. tini never sends
///                                                    SIGTTIN/SIGTTOU, but a supervisor signalled directly passes them on
/// SIGRTMIN+1 ... SIGRTMAX                 Runtime    as tini does
/// SIGRTMIN                                -          the .NET runtime's own signal for suspending its threads (GC): a
///                                                    handler would see, and pass on, every suspension. Sent from outside,
///                                                    .NET's handler ignores it
/// 32, 33                                  -          glibc's own (thread cancellation, set*id); never delivered to code
/// SIGCHLD                                 -          the supervisor's own: .NET reaps its children on it. tini keeps it too
/// SIGPIPE                                 -          .NET ignores it process-wide (a write to a closed pipe is an error,
///                                                    not death), so no handler would ever see it; children get the default
/// SIGILL, SIGTRAP, SIGABRT, SIGBUS,       -          faults of the supervisor itself: its crash is its own; tini keeps
/// SIGFPE, SIGSEGV, SIGSYS                            them too
/// SIGKILL, SIGSTOP                        -          cannot be caught
/// </code>
/// Numbers are Linux's (x86-64 and arm64 share them).
/// </summary>
internal static partial class Signals
{
    public const int SigHup = 1;
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigKill = 9;
    public const int SigUsr1 = 10;
    public const int SigTerm = 15;
    public const int SigWinch = 28;

    /// <summary>The highest signal number on Linux.</summary>
    public const int SigRtMax = 64;

    private static readonly string[] Names =
    [
        "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV",
        "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",
        "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    /// <summary>1-31 passed on to the runtime; the rest of that range is stop, or not handled.</summary>
    private static readonly HashSet<int> ToRuntime =
    [
        1, 3, 10, 12, 14, 16, 18, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
    ];

    private static readonly Lazy<int> RealTimeMinimum = new(CurrentRealTimeMinimum);

    /// <summary>SIGRTMIN as the C library defines it (34 with glibc: it keeps 32 and 33 for itself).</summary>
    public static int SigRtMin => RealTimeMinimum.Value;

    /// <summary>Every signal the supervisor registers a handler for.</summary>
    public static IEnumerable<int> Handled => Enumerable.Range(1, SigRtMax).Where(s => Route(s) != SignalRoute.NotHandled);

    public static SignalRoute Route(int signal) => Route(signal, SigRtMin);

    /// <summary>The table above, with SIGRTMIN given (the C library's value differs between glibc and musl).</summary>
    public static SignalRoute Route(int signal, int sigRtMin) => signal switch
    {
        SigTerm or SigInt => SignalRoute.Stop,
        _ when ToRuntime.Contains(signal) => SignalRoute.Runtime,
        _ when signal > sigRtMin && signal <= SigRtMax => SignalRoute.Runtime,
        _ => SignalRoute.NotHandled,
    };

    /// <summary>The signal's name as <c>kill -l</c> spells it (<c>SIGHUP</c>, <c>SIGRTMIN+3</c>), or its number.</summary>
    public static string Name(int signal) => signal switch
    {
        > 0 and < 32 => Names[signal],
        _ when signal > SigRtMin && signal <= SigRtMax => "SIGRTMIN+" + (signal - SigRtMin).ToString(CultureInfo.InvariantCulture),
        _ when signal == SigRtMin => "SIGRTMIN",
        _ => "signal " + signal.ToString(CultureInfo.InvariantCulture),
    };

    private static int CurrentRealTimeMinimum() => LibcCurrentSigRtMin();

    [LibraryImport("libc", EntryPoint = "__libc_current_sigrtmin")]
    private static partial int LibcCurrentSigRtMin();
}
