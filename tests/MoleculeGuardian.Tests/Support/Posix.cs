using System.Runtime.InteropServices;

namespace MoleculeGuardian.Tests.Support;

/// <summary>The libc calls the tests need: sending signals, making a FIFO, asking who we are.</summary>
internal static class Posix
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    public static void Kill(int pid, int signal)
    {
        if (NativeKill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public static uint EffectiveUid() => NativeGeteuid();

    public static void MakeFifo(string path)
    {
        if (NativeMkfifo(path, Convert.ToUInt32("600", 8)) != 0)
        {
            throw new InvalidOperationException($"mkfifo({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int sig);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint NativeGeteuid();

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int NativeMkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
