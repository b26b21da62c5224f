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
            return ReplaceResult.Conflict;
        }
        catch (PosixException ex) when (ex.ErrorNumber is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP)
        {
            // No RENAME_NOREPLACE on this file system: check, then a plain rename.
            if (_fs.StatAt(swap.Dir, FileName, SettingsPath) is not null)
            {
                return ReplaceResult.Conflict;
            }

            _fs.RenameAt(swap.Dir, swap.Temp, FileName, RenameMode.Replace, SettingsPath);
            return Placed(swap);
        }
    }

    private ReplaceResult SwapIn(SettingsRead basis, Swap swap, byte[] content, bool leases)
    {
        if (_fs.StatAt(swap.Dir, FileName, SettingsPath) is not { } current || current.Fingerprint != basis.Stat!.Value.Fingerprint)
        {
            return ReplaceResult.Conflict;
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
            return ReplaceResult.Conflict;
        }

        // The exchange shows exactly what we displaced: it may be dropped only if it is what we read and nobody can
        // still write into it. A writer whose open(O_TRUNC) found the old file just before the exchange truncates and
        // writes it a moment later; the content check alone would miss that, and the writer's update would go into a
        // file nobody reads. A write lease closes most of that window: it is refused while the writer has the file
        // open, and while held, a writer's open waits before truncating, which F_GETLEASE then shows.
        // The lease lasts until `displaced` is closed, after the unlink or the put-back: a writer that waited for it
        // then writes the file at whichever name it has by then (the settings path, if it was put back).
        using var displaced = _fs.OpenReadAt(swap.Dir, swap.Temp, swap.TempPath);
        var lease = leases ? _fs.TryWriteLease(displaced, swap.TempPath) : LeaseResult.Unavailable;
        if (lease != LeaseResult.Busy && Holds(displaced, swap.TempPath, basis.Bytes)
            && !(lease == LeaseResult.Granted && _fs.LeaseBreaking(displaced, swap.TempPath)))
        {
            TryUnlink(swap.Dir, swap.Temp);
            return Placed(swap, renamedAt);
        }

        PutBack(swap, content);
        return ReplaceResult.Conflict;
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
            : ReplaceResult.Conflict;
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

        var actual = ReadAll(handle, stat.Size);
        return actual is not null && actual.AsSpan().SequenceEqual(expected);
    }
}
