using System.Runtime.InteropServices;

namespace MoleculeGuardian.Benchmarks.E2E;

internal static partial class Native
{
    public const int SigTerm = 15;
    private const int ClockMonotonic = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    private const int PrSetTimerSlack = 29;

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>Asks the kernel to wake this thread's sleeps on time (the default slack is 50 µs).</summary>
    public static void MinimizeTimerSlack() => _ = Prctl(PrSetTimerSlack, 1, 0, 0, 0);

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, in TimeSpec request, IntPtr remain);

    /// <summary>Sleeps about <paramref name="microseconds"/> µs (Thread.Sleep cannot go below a millisecond).</summary>
    public static void SleepMicroseconds(int microseconds)
    {
        var spec = new TimeSpec { Seconds = microseconds / 1_000_000, Nanoseconds = microseconds % 1_000_000 * 1000L };
        _ = ClockNanosleep(ClockMonotonic, 0, spec, IntPtr.Zero);
    }
}
