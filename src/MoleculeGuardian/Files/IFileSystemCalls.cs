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

    uint EffectiveUid { get; }

    uint EffectiveGid { get; }
}
