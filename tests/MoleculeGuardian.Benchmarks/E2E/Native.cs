using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>
/// The libc calls the harness makes itself. Raw syscalls rather than FileStream/File.OpenHandle: .NET adds fstat
/// and flock to every open and FileStream truncates only when it is told to, while the writers being simulated
/// (Python's <c>open(path, "w")</c>) truncate in open(2), and the observer should hold the file open as briefly as
/// possible (a guardian before 2026-12 could not take its lease on a file someone had open).
/// </summary>
internal static unsafe partial class Native
{
    public const int SigTerm = 15;
    public const uint InModify = 0x2;
    private const int ORdOnly = 0, OWrOnly = 0x1, OCreat = 0x40, OExcl = 0x80, OTrunc = 0x200, OCloExec = 0x80000;
    private const int ClockMonotonic = 1;
    private const int PrSetTimerSlack = 29;
    private const int InCloExec = 0x80000;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>
    /// Stopwatch ticks of one write: before open(2), after the write (the content is in the file), after close(2).
    /// </summary>
    public readonly record struct WriteTimes(long Start, long Written, long End, DateTime MtimeUtc);

    /// <summary>
    /// A plain in-place write, as the runtime's merges do it: open(O_TRUNC) (the file is empty from here on), one
    /// write at offset 0 (pwrite, the same as write(2) on the freshly truncated file), close. With <paramref name="withMtime"/>, fstat before the close gives the mtime the guardian will see.
    /// </summary>
    public static WriteTimes WriteInPlace(string path, ReadOnlySpan<byte> content, bool withMtime = false) =>
        Write(path, OWrOnly | OCreat | OTrunc | OCloExec, content, withMtime);

    /// <summary>A new file (O_EXCL): the first step of a durable replace.</summary>
    public static WriteTimes WriteNew(string path, ReadOnlySpan<byte> content, bool fsync) =>
        Write(path, OWrOnly | OCreat | OExcl | OCloExec, content, withMtime: false, fsync);

    private static WriteTimes Write(string path, int flags, ReadOnlySpan<byte> content, bool withMtime, bool fsync = false)
    {
        var start = Stopwatch.GetTimestamp();
        var fd = Check(NativeOpen(path, flags, 0x1A4 /* 0644 */), "open", path);
        var mtime = default(DateTime);
        long written;
        try
        {
            WriteAll(fd, content, path);
            written = Stopwatch.GetTimestamp();
            if (fsync)
            {
                _ = Check(NativeFsync(fd), "fsync", path);
            }

            if (withMtime)
            {
                using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false);
                mtime = File.GetLastWriteTimeUtc(handle);
            }
        }
        finally
        {
            _ = NativeClose(fd);
        }

        return new WriteTimes(start, written, Stopwatch.GetTimestamp(), mtime);
    }

    /// <summary>Writes <paramref name="content"/> at offset 0 of an open file (no truncation).</summary>
    public static void WriteAll(int fd, ReadOnlySpan<byte> content, string path)
    {
        fixed (byte* p = content)
        {
            var done = 0;
            while (done < content.Length)
            {
                var n = NativePwrite(fd, p + done, content.Length - done, done);
                done += (int)Check(n, "pwrite", path);
            }
        }
    }

    /// <summary>open + read to the end + close into <paramref name="buffer"/>; -1 when the file does not exist.</summary>
    public static int ReadFile(string path, byte[] buffer)
    {
        var fd = NativeOpen(path, ORdOnly | OCloExec, 0);
        if (fd < 0)
        {
            return -1;
        }

        try
        {
            var length = 0;
            fixed (byte* p = buffer)
            {
                nint n;
                while (length < buffer.Length && (n = NativeRead(fd, p + length, buffer.Length - length)) > 0)
                {
                    length += (int)n;
                }
            }

            return length;
        }
        finally
        {
            _ = NativeClose(fd);
        }
    }

    public static int OpenForWrite(string path) => Check(NativeOpen(path, OWrOnly | OCreat | OCloExec, 0x1A4), "open", path);

    /// <summary>open(O_RDONLY): a reader that holds the file (tail -f, an editor) until <see cref="Close"/>.</summary>
    public static int OpenForRead(string path) => Check(NativeOpen(path, ORdOnly | OCloExec, 0), "open", path);

    public static int OpenDirectory(string path) => Check(NativeOpen(path, ORdOnly | OCloExec, 0), "open", path);

    public static void Fsync(int fd, string path) => Check(NativeFsync(fd), "fsync", path);

    public static void Close(int fd) => _ = NativeClose(fd);

    public static void Rename(string from, string to) => Check(NativeRename(from, to), "rename", to);

    /// <summary>An inotify instance watching <paramref name="directory"/> for <paramref name="mask"/>; read it with <see cref="ReadEvents"/>.</summary>
    public static int InotifyWatch(string directory, uint mask)
    {
        var fd = Check(NativeInotifyInit1(InCloExec), "inotify_init1", directory);
        _ = Check(NativeInotifyAddWatch(fd, directory, mask), "inotify_add_watch", directory);
        return fd;
    }

    /// <summary>Blocks in read(2) until events arrive; returns the byte count.</summary>
    public static int ReadEvents(int fd, byte[] buffer)
    {
        fixed (byte* p = buffer)
        {
            return (int)NativeRead(fd, p, buffer.Length);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>Asks the kernel to wake this thread's sleeps on time (the default slack is 50 µs).</summary>
    public static void MinimizeTimerSlack() => _ = Prctl(PrSetTimerSlack, 1, 0, 0, 0);

    /// <summary>Sleeps about <paramref name="microseconds"/> µs (Thread.Sleep cannot go below a millisecond).</summary>
    public static void SleepMicroseconds(long microseconds)
    {
        if (microseconds <= 0)
        {
            return;
        }

        var spec = new TimeSpec { Seconds = microseconds / 1_000_000, Nanoseconds = microseconds % 1_000_000 * 1000L };
        _ = ClockNanosleep(ClockMonotonic, 0, spec, IntPtr.Zero);
    }

    /// <summary>Sleeps until the Stopwatch timestamp <paramref name="deadline"/> (fixed pacing that does not drift).</summary>
    public static void SleepUntil(long deadline) =>
        SleepMicroseconds((long)((deadline - Stopwatch.GetTimestamp()) * 1e6 / Stopwatch.Frequency));

    private static int Check(int result, string operation, string path) => (int)Check((nint)result, operation, path);

    private static nint Check(nint result, string operation, string path) =>
        result >= 0 ? result : throw new IOException($"{operation} {path}: errno {Marshal.GetLastPInvokeError()}");

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint NativeRead(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint NativePwrite(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int NativeFsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeRename(string from, string to);

    [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int NativeInotifyInit1(int flags);

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeInotifyAddWatch(int fd, string path, uint mask);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, in TimeSpec request, IntPtr remain);
}
