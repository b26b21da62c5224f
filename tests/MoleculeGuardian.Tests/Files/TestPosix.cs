using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using MoleculeGuardian.Files;

namespace MoleculeGuardian.Tests.Files;

/// <summary>The libc calls the file tests need to build odd things at the settings path, and to inspect them.</summary>
internal static class TestPosix
{
    public static void Chown(string path, uint uid, uint gid) =>
        Check(NativeLchown(path, uid, gid), "lchown", path);

    /// <summary><c>link(2)</c>: a second name for the same inode.</summary>
    public static void HardLink(string existing, string newPath) => Check(NativeLink(existing, newPath), "link", newPath);

    /// <summary><c>truncate(2)</c> by path.</summary>
    public static void Truncate(string path, long length) => Check(NativeTruncate(path, length), "truncate", path);

    public static void MakeFifo(string path) => Check(NativeMkfifo(path, Convert.ToUInt32("600", 8)), "mkfifo", path);

    /// <summary><c>mknod path c major minor</c> (root only).</summary>
    public static void MakeCharDevice(string path, int major, int minor)
    {
        using var process = Process.Start(new ProcessStartInfo("mknod", [path, "c", major.ToString(System.Globalization.CultureInfo.InvariantCulture), minor.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardError = true,
        })!;
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(10_000) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"mknod {path} failed: {error}");
        }
    }

    /// <summary><c>open(path, O_WRONLY|O_CREAT|O_TRUNC, 0644)</c>: truncation at open, as Python's <c>open(path, "w")</c>.</summary>
    public static SafeFileHandle OpenTruncate(string path)
    {
        var fd = NativeOpen(path, 0x1 | 0x40 | 0x200 | 0x80000, Convert.ToUInt32("644", 8));
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw new PosixException("open", path, Marshal.GetLastPInvokeError());
    }

    /// <summary><c>lstat</c>, through the store's own calls: the parent opened as a path, the name stated without following it.</summary>
    public static FileStat Stat(string path) => StatOrNull(path) ?? throw new FileNotFoundException(path);

    public static FileStat? StatOrNull(string path)
    {
        var fs = LinuxFileSystemCalls.Instance;
        var parent = Path.GetDirectoryName(path) ?? "/";
        var name = Path.GetFileName(path);
        if (name.Length == 0)
        {
            (parent, name) = ("/", ".");
        }

        using var dir = fs.OpenDirectory(null, parent, parent);
        return fs.StatAt(dir, name, path);
    }

    /// <summary>Opens <paramref name="path"/> the way the store opens the settings file (no symlink, never blocking).</summary>
    public static SafeFileHandle OpenRead(string path)
    {
        var fs = LinuxFileSystemCalls.Instance;
        var parent = Path.GetDirectoryName(path) ?? "/";
        using var dir = fs.OpenDirectory(null, parent, parent);
        return fs.OpenReadAt(dir, Path.GetFileName(path), path);
    }

    /// <summary>The permission bits, as octal text ("644").</summary>
    public static string ModeOf(string path) => Convert.ToString(Stat(path).Mode & 0x1FF, 8);

    /// <summary>Temp files of the guardian's left in the settings directory.</summary>
    public static string[] GuardianTemps(string settingsPath) =>
        Directory.GetFiles(Path.GetDirectoryName(settingsPath)!, "." + Path.GetFileName(settingsPath) + ".guardian-*");

    private static void Check(int result, string operation, string path)
    {
        if (result != 0)
        {
            throw new PosixException(operation, path, Marshal.GetLastPInvokeError());
        }
    }

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int NativeLchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint uid, uint gid);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int NativeLink([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int NativeOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport("libc", EntryPoint = "truncate", SetLastError = true)]
    private static extern int NativeTruncate([MarshalAs(UnmanagedType.LPUTF8Str)] string path, long length);

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int NativeMkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
