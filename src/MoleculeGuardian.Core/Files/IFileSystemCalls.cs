using Microsoft.Win32.SafeHandles;

namespace MoleculeGuardian.Files;

internal enum RenameMode
{
    /// <summary>Plain <c>rename(2)</c>: replaces the target.</summary>
    Replace,

    /// <summary>Fails with EEXIST when the target exists.</summary>
    NoReplace,

    /// <summary>Atomically swaps the two names; both must exist.</summary>
    Exchange,
}

internal enum LeaseResult
{
    /// <summary>
    /// Held: nobody has the file open for writing, and anyone's open of it for writing (or truncate(2) of it) now
    /// waits until the lease is released, which closing the handle does. Readers neither stop nor break it.
    /// </summary>
    Granted,

    /// <summary>Somebody has the file open for writing (another process, or this one through another handle).</summary>
    Busy,

    /// <summary>Leases cannot be had here (file system, ownership, or the kernel's fs.leases-enable).</summary>
    Unavailable,
}

/// <summary>
/// The system calls the file store makes, one method each. Failures throw <see cref="PosixException"/>.
/// This is the seam through which tests inject EIO, ENOSPC, EROFS and friends, which root cannot provoke with chmod.
/// <para>
/// Everything in the settings directory is named relative to a directory handle, never by a path from <c>/</c>: the
/// directory can be swapped for a symlink between two calls by whoever owns it. The <c>path</c> arguments only say,
/// in an error message, what the handle and name stand for.
/// </para>
/// </summary>
internal interface IFileSystemCalls
{
    /// <summary>
    /// <c>openat(parent, name, O_PATH|O_DIRECTORY|O_NOFOLLOW)</c>: one component, never through a symlink (ENOTDIR
    /// for a symlink or a file). A null parent means the working directory; the store only passes "/" then.
    /// </summary>
    SafeFileHandle OpenDirectory(SafeFileHandle? parent, string name, string path);

    /// <summary><c>fstatat(directory, name, AT_SYMLINK_NOFOLLOW)</c>: never follows a link; null when nothing is there.</summary>
    FileStat? StatAt(SafeFileHandle directory, string name, string path);

    FileStat FStat(SafeFileHandle handle, string path);

    /// <summary>Opens for reading without following a symlink and without blocking (a FIFO must not hang us).</summary>
    SafeFileHandle OpenReadAt(SafeFileHandle directory, string name, string path);

    /// <summary>Creates a new file exclusively (O_EXCL, no symlink followed) for writing, mode 0600.</summary>
    SafeFileHandle CreateExclusiveAt(SafeFileHandle directory, string name, string path);

    int Read(SafeFileHandle handle, Span<byte> buffer, long offset, string path);

    void Write(SafeFileHandle handle, ReadOnlySpan<byte> data, string path);

    void Fsync(SafeFileHandle handle, string path);

    void FChown(SafeFileHandle handle, uint uid, uint gid, string path);

    void FChmod(SafeFileHandle handle, uint mode, string path);

    /// <summary><c>renameat2</c> between two names of the same directory handle.</summary>
    void RenameAt(SafeFileHandle directory, string source, string target, RenameMode mode, string path);

    /// <summary><c>unlinkat(directory, name, 0)</c>: a file, never a directory.</summary>
    void UnlinkAt(SafeFileHandle directory, string name, string path);

    /// <summary>Flushes a directory's entries (the rename) to disk.</summary>
    void FsyncDirectory(SafeFileHandle directory, string path);

    /// <summary>
    /// The names in the directory (not "." and ".."), read from the handle as the enumeration goes: a stream over
    /// <c>readdir</c>, one buffer of entries at a time, so nothing holds all the names of a huge directory. The stream
    /// is opened when the enumeration starts and closed when it ends or is disposed (a <c>foreach</c> left early
    /// closes it); a failure throws <see cref="PosixException"/> naming <paramref name="path"/>, from the enumeration.
    /// </summary>
    IEnumerable<string> ListNames(SafeFileHandle directory, string path);

    /// <summary>
    /// <c>F_SETLEASE F_RDLCK</c> on a handle opened read-only: granted only when nobody has the file open for writing
    /// (this process's own write handles count); while held, an open of it for writing, with or without O_TRUNC, and
    /// truncate(2) wait in the kernel, before truncating anything, until the lease is released, which closing the
    /// handle does. Opens for reading do not break it. See <see cref="LinuxFileSystemCalls.TryReadLease"/> for what it
    /// does not cover.
    /// </summary>
    LeaseResult TryReadLease(SafeFileHandle handle, string path);

    /// <summary><c>F_GETLEASE</c>: true when somebody has begun to open the leased file for writing and waits for the release.</summary>
    bool LeaseBreaking(SafeFileHandle handle, string path);

    /// <summary>
    /// The extended attribute <paramref name="name"/> of the directory the handle holds (<c>fgetxattr</c> on "." opened
    /// through it: an <c>O_PATH</c> handle has no attributes to read); null when it has none or its file system keeps none.
    /// </summary>
    byte[]? GetXattr(SafeFileHandle directory, string name, string path);
}
