namespace MoleculeGuardian.Files;

internal enum FileKind
{
    Regular,
    Directory,
    Symlink,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Unknown,
}

/// <summary>What <c>statx</c> says about a file, as far as the guardian cares.</summary>
internal readonly record struct FileStat(
    FileKind Kind, uint Mode, uint Uid, uint Gid, long Size, ulong Device, ulong Inode, long MtimeNs, long CtimeNs)
{
    /// <summary>Hard links; 0 for a directory that was removed while we still hold it open.</summary>
    public uint Links { get; init; }

    /// <summary>Changes whenever anybody writes, truncates or replaces the file.</summary>
    public (ulong Device, ulong Inode, long Size, long MtimeNs, long CtimeNs) Fingerprint => (Device, Inode, Size, MtimeNs, CtimeNs);

    public string KindName => Kind switch
    {
        FileKind.Symlink => "a symbolic link",
        FileKind.Fifo => "a FIFO",
        FileKind.Socket => "a socket",
        FileKind.CharDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Directory => "a directory",
        FileKind.Regular => "a regular file",
        _ => "not a regular file",
    };
}
