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

    public uint? PrimaryGroupOf(uint uid) => UserDatabase.ByUid(uid)?.Gid;

    public (uint Uid, uint Gid)? FindUser(string name) => UserDatabase.ByName(name) is { } user ? (user.Uid, user.Gid) : null;

    private static void Check(int result, string operation)
    {
        if (result != 0)
        {
            throw new PosixException(operation, "", Marshal.GetLastPInvokeError());
        }
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
    }
}
