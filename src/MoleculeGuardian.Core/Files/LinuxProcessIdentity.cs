using System.Runtime.InteropServices;

namespace MoleculeGuardian.Files;

/// <summary>The process's real credentials, through libc.</summary>
internal sealed partial class LinuxProcessIdentity : IProcessIdentity
{
    public static LinuxProcessIdentity Instance { get; } = new();

    public uint Uid => NativeMethods.geteuid();

    public uint Gid => NativeMethods.getegid();

    public unsafe bool InGroup(uint gid)
    {
        if (gid == Gid)
        {
            return true;
        }

        var count = NativeMethods.getgroups(0, null);
        var groups = new uint[Math.Max(count, 0)];
        fixed (uint* list = groups)
        {
            count = NativeMethods.getgroups(groups.Length, list);
        }

        return count > 0 && groups.AsSpan(0, count).Contains(gid);
    }

    /// <summary>
    /// Groups first, then the group, then the user: once the uid is not 0 the other two can no longer be changed.
    /// glibc applies each call to every thread of the process (the kernel's credentials are per thread, and .NET's
    /// threads are glibc's), so no thread of the runtime stays root.
    /// </summary>
    public unsafe void Become(uint uid, uint gid)
    {
        Check(NativeMethods.setgroups(0, null), "setgroups");
        Check(NativeMethods.setresgid(gid, gid, gid), "setresgid");
        Check(NativeMethods.setresuid(uid, uid, uid), "setresuid");
        if (Uid != uid || Gid != gid)
        {
            throw new PosixException($"the switch to uid {uid} gid {gid} did not take: still {Uid}:{Gid}");
        }
    }

    public uint? PrimaryGroupOf(uint uid) => Lookup(uid, null)?.Gid;

    public (uint Uid, uint Gid)? FindUser(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Lookup(0, name);
    }

    private static unsafe (uint Uid, uint Gid)? Lookup(uint uid, string? name)
    {
        for (var size = 1024; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            Passwd entry;
            nint result;
            int error;
            fixed (byte* b = buffer)
            {
                error = name is null
                    ? NativeMethods.getpwuid_r(uid, &entry, b, (nuint)size, &result)
                    : NativeMethods.getpwnam_r(name, &entry, b, (nuint)size, &result);
            }

            if (error == Erange)
            {
                continue;
            }

            // Not found is result == null with error 0 (or ENOENT and friends from some NSS modules).
            return result != 0 ? (entry.Uid, entry.Gid) : null;
        }

        return null;
    }

    private const int Erange = 34;

    private static void Check(int result, string operation)
    {
        if (result != 0)
        {
            throw new PosixException(operation, "", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary><c>struct passwd</c> on 64-bit Linux: pw_name, pw_passwd, then pw_uid and pw_gid.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 48)]
    private struct Passwd
    {
        [FieldOffset(16)] public uint Uid;
        [FieldOffset(20)] public uint Gid;
    }

    private static unsafe partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "geteuid")]
        internal static partial uint geteuid();

        [LibraryImport("libc", EntryPoint = "getegid")]
        internal static partial uint getegid();

        [LibraryImport("libc", EntryPoint = "getgroups", SetLastError = true)]
        internal static partial int getgroups(int size, uint* list);

        [LibraryImport("libc", EntryPoint = "setgroups", SetLastError = true)]
        internal static partial int setgroups(nuint size, uint* list);

        [LibraryImport("libc", EntryPoint = "setresgid", SetLastError = true)]
        internal static partial int setresgid(uint rgid, uint egid, uint sgid);

        [LibraryImport("libc", EntryPoint = "setresuid", SetLastError = true)]
        internal static partial int setresuid(uint ruid, uint euid, uint suid);

        [LibraryImport("libc", EntryPoint = "getpwuid_r")]
        internal static partial int getpwuid_r(uint uid, Passwd* entry, byte* buffer, nuint size, nint* result);

        [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int getpwnam_r(string name, Passwd* entry, byte* buffer, nuint size, nint* result);
    }
}
