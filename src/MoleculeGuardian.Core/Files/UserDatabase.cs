using System.Runtime.InteropServices;

namespace MoleculeGuardian.Files;

/// <summary>A user-database entry: the ids, and what a child started as that user needs (its name for its groups, its home).</summary>
internal sealed record UserEntry(string Name, uint Uid, uint Gid, string Home);

/// <summary>
/// The user database (getpwnam_r/getpwuid_r: /etc/passwd or whatever NSS is configured), the one place the guardian
/// and the supervisor read it.
/// </summary>
internal static partial class UserDatabase
{
    private const int Erange = 34;

    public static UserEntry? ByUid(uint uid) => Lookup(uid, null);

    public static UserEntry? ByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Lookup(0, name);
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

    /// <summary><c>struct passwd</c> on 64-bit Linux: pw_name, pw_passwd, pw_uid, pw_gid, pw_gecos, pw_dir, pw_shell.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 48)]
    private struct Passwd
    {
        [FieldOffset(0)] public nint Name;
        [FieldOffset(16)] public uint Uid;
        [FieldOffset(20)] public uint Gid;
        [FieldOffset(32)] public nint Dir;
    }

    [LibraryImport("libc", EntryPoint = "getpwuid_r")]
    private static unsafe partial int Getpwuid(uint uid, Passwd* entry, byte* buffer, nuint size, nint* result);

    [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Getpwnam(string name, Passwd* entry, byte* buffer, nuint size, nint* result);
}
