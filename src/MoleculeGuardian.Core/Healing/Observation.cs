namespace MoleculeGuardian.Healing;

/// <summary>What one look at the settings path found.</summary>
internal enum SeenKind
{
    /// <summary>A regular file; its bytes were read.</summary>
    File,

    /// <summary>The directory is there, the file is not.</summary>
    NoFile,

    /// <summary>The settings directory itself is missing.</summary>
    NoDirectory,

    /// <summary>Something is there that must not be read or replaced (the reason says what).</summary>
    Refused,
}

/// <summary>Which version of a file was read: anybody's write, truncate or replace changes it.</summary>
internal readonly record struct FileVersion(ulong Device, ulong Inode, long Size, long MtimeNs, long CtimeNs);

/// <summary>One look at the settings path, as data: what the heal decision is made from; <see cref="At"/> on a monotonic clock.</summary>
internal sealed record Observation(SeenKind Kind, ReadOnlyMemory<byte> Bytes, FileVersion? Version, TimeSpan At, string Reason = "");
