using Microsoft.Win32.SafeHandles;

namespace MoleculeGuardian.Files;

/// <summary>The atomic part of a replace: the rename, and what is checked around it.</summary>
internal sealed partial class SettingsFileStore
{
    /// <summary>The temp file being swapped in: its name in the directory, its path for messages, its inode.</summary>
    private readonly record struct Swap(SafeFileHandle Dir, string Temp, string TempPath, ulong Inode);

    private ReplaceResult CreateNew(Swap swap)
    {
        try
        {
            _fs.RenameAt(swap.Dir, swap.Temp, FileName, RenameMode.NoReplace, SettingsPath);
            return Placed(swap);
        }
        catch (PosixException ex) when (ex.ErrorNumber == Errno.EEXIST)
        {
            return ReplaceResult.Conflict(ConflictCause.Appeared);
        }
        catch (PosixException ex) when (ex.ErrorNumber is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP)
        {
            // No RENAME_NOREPLACE on this file system: check, then a plain rename.
            if (_fs.StatAt(swap.Dir, FileName, SettingsPath) is not null)
            {
                return ReplaceResult.Conflict(ConflictCause.Appeared);
            }

            _fs.RenameAt(swap.Dir, swap.Temp, FileName, RenameMode.Replace, SettingsPath);
            return Placed(swap);
        }
    }

    private ReplaceResult SwapIn(SettingsRead basis, Swap swap, byte[] content)
    {
        var read = basis.Stat!.Value;
        if (_fs.StatAt(swap.Dir, FileName, SettingsPath) is not { } current)
        {
            return ReplaceResult.Conflict(ConflictCause.Removed);
        }

        if (current.Fingerprint != read.Fingerprint)
        {
            return ReplaceResult.Conflict(current.Device == read.Device && current.Inode == read.Inode ? ConflictCause.Written : ConflictCause.Replaced);
        }

        DateTimeOffset renamedAt;
        try
        {
            _fs.RenameAt(swap.Dir, swap.Temp, FileName, RenameMode.Exchange, SettingsPath);
            renamedAt = _time.GetUtcNow();
        }
        catch (PosixException ex) when (ex.ErrorNumber is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP)
        {
            // No RENAME_EXCHANGE here: the fingerprint check above is all the protection there is.
            _fs.RenameAt(swap.Dir, swap.Temp, FileName, RenameMode.Replace, SettingsPath);
            return Placed(swap);
        }
        catch (PosixException ex) when (ex.ErrorNumber == Errno.ENOENT)
        {
            return ReplaceResult.Conflict(ConflictCause.Removed);
        }

        // The exchange shows exactly what we displaced: it may be dropped only if it is what we read and nobody can
        // still write into it. A writer whose open(O_TRUNC) found the old file just before the exchange truncates and
        // writes it a moment later; the content check alone would miss that, and the writer's update would go into a
        // file nobody reads. A read lease closes most of that window without minding readers: it is granted when
        // nobody has the file open for writing, and while held, a writer's open waits before truncating, which
        // F_GETLEASE then shows. So: lease first, then the content check (which sees every write made before the
        // lease), then F_GETLEASE (any open for writing since).
        // A busy lease means someone has the file open for writing right now: a writer between its open and its last
        // write (the runtime's truncate-then-write, or one paused long enough that its half-written file counted as
        // corrupt). Its next write would go into a file nobody reads, so that is a conflict too, whatever the content
        // says: the file is put back and the heal goes again (the loop backs off if it keeps happening). A reader
        // never makes the lease busy. Where leases are unavailable (file system, owner, fs.leases-enable) the content
        // check alone decides: a descriptor opened for writing before the exchange and written through only after
        // this check writes into the displaced file, as it would after any other writer's rename-replace.
        // The lease lasts until `displaced` is closed, after the unlink or the put-back: a writer that waited for it
        // then writes the file at whichever name it has by then (the settings path, if it was put back).
        using var displaced = _fs.OpenReadAt(swap.Dir, swap.Temp, swap.TempPath);
        var lease = _fs.TryReadLease(displaced, swap.TempPath);
        var cause = lease == LeaseResult.Busy ? ConflictCause.WriterHolds
            : !Holds(displaced, swap.TempPath, basis.Bytes) ? ConflictCause.ContentChanged
            : lease == LeaseResult.Granted && _fs.LeaseBreaking(displaced, swap.TempPath) ? ConflictCause.WriterOpened
            : ConflictCause.None;
        if (cause == ConflictCause.None)
        {
            TryUnlink(swap.Dir, swap.Temp);
            return Placed(swap, renamedAt);
        }

        PutBack(swap, content);
        return ReplaceResult.Conflict(cause);
    }

    /// <summary>
    /// Replaced only if the name now refers to the file we wrote: another writer may have renamed its own file over
    /// ours since, and a heal must not report a file it did not leave there.
    /// </summary>
    private ReplaceResult Placed(Swap swap, DateTimeOffset? renamedAt = null)
    {
        renamedAt ??= _time.GetUtcNow();
        return _fs.StatAt(swap.Dir, FileName, SettingsPath) is { } now && now.Inode == swap.Inode
            ? new ReplaceResult(ReplaceOutcome.Replaced, renamedAt)
            : ReplaceResult.Conflict(ConflictCause.Overtaken);
    }

    /// <summary>Another writer changed the file after our read: put what we displaced back, unless a newer write went into ours.</summary>
    private void PutBack(Swap swap, byte[] content)
    {
        if (_fs.StatAt(swap.Dir, FileName, SettingsPath) is { } now && now.Inode == swap.Inode)
        {
            _fs.RenameAt(swap.Dir, swap.Temp, FileName, RenameMode.Exchange, SettingsPath);

            // A truncate-then-write writer that opened the path while our file was there wrote into our inode:
            // that is the newest content (newer than what we displaced), so it is the one that must stay.
            using var ours = _fs.OpenReadAt(swap.Dir, swap.Temp, swap.TempPath);
            if (!Holds(ours, swap.TempPath, content))
            {
                _fs.RenameAt(swap.Dir, swap.Temp, FileName, RenameMode.Exchange, SettingsPath);
            }
        }
    }

    /// <summary>True when the open file holds exactly <paramref name="expected"/>.</summary>
    private bool Holds(SafeFileHandle handle, string path, byte[] expected)
    {
        var stat = _fs.FStat(handle, path);
        if (stat.Size != expected.Length)
        {
            return false;
        }

        // Compared a piece at a time: the file is not read into memory a second time.
        var piece = new byte[(int)Math.Min(64 * 1024, Math.Max(expected.Length, 1))];
        for (var offset = 0; ; )
        {
            var n = _fs.Read(handle, piece, offset, path);
            if (n == 0)
            {
                return offset == expected.Length;
            }

            if (offset + n > expected.Length || !piece.AsSpan(0, n).SequenceEqual(expected.AsSpan(offset, n)))
            {
                return false;
            }

            offset += n;
        }
    }
}
