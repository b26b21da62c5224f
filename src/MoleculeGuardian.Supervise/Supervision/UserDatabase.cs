using System.Runtime.InteropServices;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;

namespace MoleculeGuardian.Supervision;

/// <summary>A user-database entry: what a child started as that user needs (its name for its groups, its home).</summary>
internal sealed record UserEntry(string Name, uint Uid, uint Gid, string Home);

/// <summary>The user database (getpwnam_r/getpwuid_r: /etc/passwd or whatever NSS is configured).</summary>
internal static partial class UserDatabase
{
    public static UserEntry? ByUid(uint uid) => Lookup(uid, null);

    public static UserEntry? ByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Lookup(0, name);
    }

    /// <summary>The supervisor's own user, by its effective uid.</summary>
    public static UserEntry? Current() => ByUid(Geteuid());

    /// <summary>
    /// <c>Supervisor:RunAs</c> as a user to start <c>run</c> as. Parsed by the function that parses
    /// <c>Guardian:RunAs</c> (a name, a uid, or uid:gid), so both settings read alike. The user must have an entry:
    /// .NET starts a child as a user by name (that gives it the user's groups), and HOME and USER come from it; the
    /// gid, when given, must be that user's primary group, since that is the group the child gets.
    /// </summary>
    /// <exception cref="FormatException">The value names no user the supervisor can start a child as; the message says why.</exception>
    public static UserEntry ResolveRunAs(string runAs)
    {
        ArgumentException.ThrowIfNullOrEmpty(runAs);
        (uint Uid, uint Gid) ids;
        try
        {
            ids = GuardianOptionsValidator.ResolveUser(runAs, LinuxProcessIdentity.Instance)!.Value;
        }
        catch (FormatException)
        {
            throw new FormatException($"names no user (got '{runAs}'); give a user name, a uid, or uid:gid");
        }

        var entry = ByName(runAs) is { } named && named.Uid == ids.Uid ? named : ByUid(ids.Uid);
        if (entry is null)
        {
            throw new FormatException($"'{runAs}': uid {ids.Uid} has no user-database entry, and run is started as a user by name (for its groups, HOME and USER)");
        }

        return entry.Gid == ids.Gid
            ? entry
            : throw new FormatException($"'{runAs}' asks for group {ids.Gid}, but {entry.Name}'s primary group is {entry.Gid}, the group a child started as {entry.Name} gets");
    }

    private static unsafe UserEntry? Lookup(uint uid, string? name)
    {
        for (var size = 1024; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            Passwd entry;
            nint result;
            int error;
            fixed (byte* b = buffer)
            {
                error = name is null ? Getpwuid(uid, &entry, b, (nuint)size, &result) : Getpwnam(name, &entry, b, (nuint)size, &result);
                if (error == Erange)
                {
                    continue;
                }

                // Not found is result == null with error 0 (or ENOENT and friends from some NSS modules).
                return result == 0 ? null
                    : new UserEntry(Marshal.PtrToStringUTF8(entry.Name) ?? "", entry.Uid, entry.Gid, Marshal.PtrToStringUTF8(entry.Dir) ?? "/");
            }
        }

        return null;
    }

    private const int Erange = 34;

    /// <summary><c>struct passwd</c> on 64-bit Linux: pw_name, pw_passwd, pw_uid, pw_gid, pw_gecos, pw_dir, pw_shell.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 48)]
    private struct Passwd
    {
        [FieldOffset(0)] public nint Name;
        [FieldOffset(16)] public uint Uid;
        [FieldOffset(20)] public uint Gid;
        [FieldOffset(32)] public nint Dir;
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint Geteuid();

    [LibraryImport("libc", EntryPoint = "getpwuid_r")]
    private static unsafe partial int Getpwuid(uint uid, Passwd* entry, byte* buffer, nuint size, nint* result);

    [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Getpwnam(string name, Passwd* entry, byte* buffer, nuint size, nint* result);
}
