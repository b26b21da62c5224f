using Microsoft.Win32.SafeHandles;

namespace MoleculeGuardian.Files;

public enum RenameMode
{
    /// <summary>Plain <c>rename(2)</c>: replaces the target.</summary>
    Replace,

    /// <summary>Fails with EEXIST when the target exists.</summary>
    NoReplace,

    /// <summary>Atomically swaps the two names; both must exist.</summary>
    Exchange,
}

public enum LeaseResult
{
    /// <summary>
    /// Held: no other open file refers to the inode, and anyone else's open now waits until the lease is released,
    /// which closing the handle does.
    /// </summary>
    Granted,

    /// <summary>Another open file (a reader or a writer) refers to the inode.</summary>
    Busy,

    /// <summary>Leases cannot be had here (file system, ownership, or the kernel's fs.leases-enable).</summary>
    Unavailable,
}

/// <summary>
/// The system calls the file store makes, one method each. Failures throw <see cref="PosixException"/>.
/// This is the seam through which tests inject EIO, ENOSPC, EROFS and friends, which root cannot provoke with chmod.
/// </summary>
public interface IFileSystemCalls
{
    /// <summary><c>lstat</c>: never follows a link; null when nothing is there.</summary>
    FileStat? LStat(string path);

    FileStat FStat(SafeFileHandle handle, string path);

    /// <summary>Opens for reading without following a symlink and without blocking (a FIFO must not hang us).</summary>
    SafeFileHandle OpenRead(string path);

    /// <summary>Creates a new file exclusively (O_EXCL, no symlink followed) for writing, mode 0600.</summary>
    SafeFileHandle CreateExclusive(string path);

    int Read(SafeFileHandle handle, Span<byte> buffer, long offset, string path);

    void Write(SafeFileHandle handle, ReadOnlySpan<byte> data, string path);

    void Fsync(SafeFileHandle handle, string path);

    void FChown(SafeFileHandle handle, uint uid, uint gid, string path);

    void FChmod(SafeFileHandle handle, uint mode, string path);

    void Rename(string source, string target, RenameMode mode);

    void Unlink(string path);

    /// <summary>Flushes a directory's entries (the rename) to disk.</summary>
    void FsyncDirectory(string path);

    IEnumerable<string> ListFiles(string directory, string pattern);

    /// <summary>
    /// <c>F_SETLEASE F_WRLCK</c>: granted only when no other open file refers to the inode; while held, another
    /// process's open of it waits in the kernel (before an O_TRUNC truncates anything) until the lease is released,
    /// which closing the handle does.
    /// </summary>
    LeaseResult TryWriteLease(SafeFileHandle handle, string path);

    /// <summary><c>F_GETLEASE</c>: true when somebody has begun to open the leased file and waits for the release.</summary>
    bool LeaseBreaking(SafeFileHandle handle, string path);

    uint EffectiveUid { get; }

    uint EffectiveGid { get; }
}
