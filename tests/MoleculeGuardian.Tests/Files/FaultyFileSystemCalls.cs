using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;
using MoleculeGuardian.Files;

namespace MoleculeGuardian.Tests.Files;

/// <summary>One method of <see cref="IFileSystemCalls"/>, for fault injection and call counting.</summary>
public enum FsOp
{
    OpenDirectory,
    StatAt,
    FStat,
    OpenReadAt,
    CreateExclusiveAt,
    Read,
    Write,
    Fsync,
    FChown,
    FChmod,
    RenameAt,
    UnlinkAt,
    FsyncDirectory,
    ListNames,
    TryReadLease,
    LeaseBreaking,
    GetXattr,
}

/// <summary>
/// Delegates to the real system calls and throws a chosen errno on the n-th call of a chosen operation. Root cannot
/// provoke EROFS, ENOSPC or EIO with chmod; this can. Hooks run before/after each call so a test can play "another
/// writer" at an exact point of the store's sequence.
/// </summary>
internal sealed class FaultyFileSystemCalls : IFileSystemCalls
{
    private readonly IFileSystemCalls _inner;
    private readonly ConcurrentDictionary<FsOp, int> _calls = new();
    private readonly ConcurrentBag<(FsOp Op, int Nth, int Errno)> _faults = [];
    private readonly ConcurrentDictionary<RenameMode, int> _renameFaults = new();
    private (int Names, int Errno, int Nth)? _listingFault;
    private int _namesListed;
    private int _listingsClosed;

    public FaultyFileSystemCalls(IFileSystemCalls? inner = null)
    {
        _inner = inner ?? LinuxFileSystemCalls.Instance;
    }

    /// <summary>Called before each call with the operation, its path and the call's number (1-based) for that operation.</summary>
    public Action<FsOp, string, int>? Before { get; set; }

    /// <summary>Called after each call that returned normally.</summary>
    public Action<FsOp, string, int>? After { get; set; }

    /// <summary>Every rename that succeeded, in order: source, target, mode.</summary>
    public ConcurrentQueue<(string Source, string Target, RenameMode Mode)> Renames { get; } = new();

    /// <summary>Every call, in order, with its path (a rename's target), including calls that were made to fail.</summary>
    public ConcurrentQueue<(FsOp Op, string Path)> Trace { get; } = new();

    /// <summary>Every handle the calls handed out (directories, files opened or created), to check none is left open.</summary>
    public ConcurrentQueue<SafeFileHandle> Opened { get; } = new();

    /// <summary>The handles of <see cref="Opened"/> that are not closed.</summary>
    public IEnumerable<SafeFileHandle> LeftOpen => Opened.Where(h => !h.IsClosed);

    /// <summary>How many bytes each read asked for, in order.</summary>
    public ConcurrentQueue<int> ReadSizes { get; } = new();

    /// <summary>The <paramref name="nth"/> call (1-based) of <paramref name="op"/> throws <paramref name="errno"/>; 0 means every call.</summary>
    public FaultyFileSystemCalls FailOn(FsOp op, int errno, int nth = 1)
    {
        _faults.Add((op, nth, errno));
        return this;
    }

    /// <summary>
    /// Every rename in <paramref name="mode"/> throws <paramref name="errno"/>: a file system without
    /// <c>RENAME_NOREPLACE</c> or <c>RENAME_EXCHANGE</c> answers EINVAL (ENOSYS on an old kernel, EOPNOTSUPP on some).
    /// </summary>
    public FaultyFileSystemCalls FailRename(RenameMode mode, int errno)
    {
        _renameFaults[mode] = errno;
        return this;
    }

    public int Calls(FsOp op) => _calls.TryGetValue(op, out var n) ? n : 0;

    public static string SyscallName(FsOp op) => op switch
    {
        FsOp.StatAt => "fstatat",
        FsOp.FStat => "fstat",
        FsOp.OpenDirectory or FsOp.OpenReadAt or FsOp.CreateExclusiveAt or FsOp.FsyncDirectory => "open",
        FsOp.Read => "read",
        FsOp.Write => "write",
        FsOp.Fsync => "fsync",
        FsOp.FChown => "fchown",
        FsOp.FChmod => "fchmod",
        FsOp.RenameAt => "rename",
        FsOp.UnlinkAt => "unlink",
        FsOp.TryReadLease or FsOp.LeaseBreaking => "fcntl",
        FsOp.ListNames => "opendir",
        FsOp.GetXattr => "fgetxattr",
        _ => op.ToString(),
    };

    public SafeFileHandle OpenDirectory(SafeFileHandle? parent, string name, string path) =>
        Keep(Call(FsOp.OpenDirectory, path, () => _inner.OpenDirectory(parent, name, path)));

    public FileStat? StatAt(SafeFileHandle directory, string name, string path) => Call(FsOp.StatAt, path, () => _inner.StatAt(directory, name, path));

    public FileStat FStat(SafeFileHandle handle, string path) => Call(FsOp.FStat, path, () => _inner.FStat(handle, path));

    public SafeFileHandle OpenReadAt(SafeFileHandle directory, string name, string path) =>
        Keep(Call(FsOp.OpenReadAt, path, () => _inner.OpenReadAt(directory, name, path)));

    public SafeFileHandle CreateExclusiveAt(SafeFileHandle directory, string name, string path) =>
        Keep(Call(FsOp.CreateExclusiveAt, path, () => _inner.CreateExclusiveAt(directory, name, path)));

    public int Read(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        var n = Enter(FsOp.Read, path);
        ReadSizes.Enqueue(buffer.Length);
        var result = _inner.Read(handle, buffer, offset, path);
        After?.Invoke(FsOp.Read, path, n);
        return result;
    }

    public void Write(SafeFileHandle handle, ReadOnlySpan<byte> data, string path)
    {
        var n = Enter(FsOp.Write, path);
        _inner.Write(handle, data, path);
        After?.Invoke(FsOp.Write, path, n);
    }

    public void Fsync(SafeFileHandle handle, string path) => Call(FsOp.Fsync, path, () => _inner.Fsync(handle, path));

    public void FChown(SafeFileHandle handle, uint uid, uint gid, string path) => Call(FsOp.FChown, path, () => _inner.FChown(handle, uid, gid, path));

    public void FChmod(SafeFileHandle handle, uint mode, string path) => Call(FsOp.FChmod, path, () => _inner.FChmod(handle, mode, path));

    /// <summary>A rename's names, as paths in the directory that <paramref name="path"/> (the target's path) is in.</summary>
    public void RenameAt(SafeFileHandle directory, string source, string target, RenameMode mode, string path) => Call(FsOp.RenameAt, path, () =>
    {
        if (_renameFaults.TryGetValue(mode, out var errno))
        {
            throw new PosixException("rename", path, errno);
        }

        _inner.RenameAt(directory, source, target, mode, path);
        var dir = Path.GetDirectoryName(path) ?? "/";
        Renames.Enqueue((Path.Combine(dir, source), Path.Combine(dir, target), mode));
    });

    public void UnlinkAt(SafeFileHandle directory, string name, string path) => Call(FsOp.UnlinkAt, path, () => _inner.UnlinkAt(directory, name, path));

    public void FsyncDirectory(SafeFileHandle directory, string path) => Call(FsOp.FsyncDirectory, path, () => _inner.FsyncDirectory(directory, path));

    /// <summary>A listing, lazy like the real one; counted (and failed by <see cref="FailOn"/>) when asked for.</summary>
    public IEnumerable<string> ListNames(SafeFileHandle directory, string path)
    {
        var n = Enter(FsOp.ListNames, path);
        var names = Listed(_inner.ListNames(directory, path), path, n);
        After?.Invoke(FsOp.ListNames, path, n);
        return names;
    }

    /// <summary>How many names all listings have handed out so far.</summary>
    public int NamesListed => Volatile.Read(ref _namesListed);

    /// <summary>How many listings were enumerated and then closed (ended or disposed).</summary>
    public int ListingsClosed => Volatile.Read(ref _listingsClosed);

    /// <summary>
    /// The <paramref name="nth"/> listing (1-based; 0: every one) throws <paramref name="errno"/> from readdir after
    /// handing out <paramref name="names"/> names: a directory that fails midway through (EIO), after the listing began.
    /// </summary>
    public FaultyFileSystemCalls FailListingAfter(int names, int errno, int nth = 0)
    {
        _listingFault = (names, errno, nth);
        return this;
    }

    /// <summary>When set, what every lease attempt answers (a file system without leases), instead of the real call.</summary>
    public LeaseResult? Leases { get; set; }

    public LeaseResult TryReadLease(SafeFileHandle handle, string path) =>
        Call(FsOp.TryReadLease, path, () => Leases ?? _inner.TryReadLease(handle, path));

    public bool LeaseBreaking(SafeFileHandle handle, string path) => Call(FsOp.LeaseBreaking, path, () => _inner.LeaseBreaking(handle, path));

    public byte[]? GetXattr(SafeFileHandle directory, string name, string path) => Call(FsOp.GetXattr, path, () => _inner.GetXattr(directory, name, path));

    private IEnumerable<string> Listed(IEnumerable<string> names, string path, int listing)
    {
        var handedOut = 0;
        try
        {
            foreach (var name in names)
            {
                if (_listingFault is { } fault && (fault.Nth == 0 || fault.Nth == listing) && handedOut == fault.Names)
                {
                    throw new PosixException("readdir", path, fault.Errno);
                }

                handedOut++;
                Interlocked.Increment(ref _namesListed);
                yield return name;
            }
        }
        finally
        {
            Interlocked.Increment(ref _listingsClosed);
        }
    }

    private SafeFileHandle Keep(SafeFileHandle handle)
    {
        Opened.Enqueue(handle);
        return handle;
    }

    private int Enter(FsOp op, string path)
    {
        var n = _calls.AddOrUpdate(op, 1, (_, c) => c + 1);
        Trace.Enqueue((op, path));
        Before?.Invoke(op, path, n);
        foreach (var fault in _faults)
        {
            if (fault.Op == op && (fault.Nth == 0 || fault.Nth == n))
            {
                throw new PosixException(SyscallName(op), path, fault.Errno);
            }
        }

        return n;
    }

    private T Call<T>(FsOp op, string path, Func<T> call)
    {
        var n = Enter(op, path);
        var result = call();
        After?.Invoke(op, path, n);
        return result;
    }

    private void Call(FsOp op, string path, Action call)
    {
        var n = Enter(op, path);
        call();
        After?.Invoke(op, path, n);
    }
}
