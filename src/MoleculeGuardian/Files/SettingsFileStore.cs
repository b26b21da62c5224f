using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace MoleculeGuardian.Files;

/// <summary>
/// Reads and atomically replaces the settings file. Never follows a symlink, never blocks on a FIFO, keeps the
/// owner and mode of the file it replaces, and never puts back content computed from a stale read.
/// </summary>
public sealed class SettingsFileStore
{
    private const string TempMarker = ".guardian-";
    private readonly IFileSystemCalls _fs;
    private readonly TimeProvider _time;

    public SettingsFileStore(string settingsPath, long maxFileBytes, UnixFileMode newFileMode, IFileSystemCalls fs, TimeProvider time)
    {
        SettingsPath = settingsPath;
        // Stryker disable once String : null only when the settings path is "/" itself, which names no file to guard
        Directory = Path.GetDirectoryName(settingsPath) ?? "/";
        FileName = Path.GetFileName(settingsPath);
        MaxFileBytes = maxFileBytes;
        NewFileMode = newFileMode;
        _fs = fs;
        _time = time;
    }

    public string SettingsPath { get; }

    public string Directory { get; }

    public string FileName { get; }

    public long MaxFileBytes { get; }

    public UnixFileMode NewFileMode { get; }

    /// <summary>
    /// When the last successful <see cref="Replace"/> renamed the new file into place: the moment readers began to see
    /// it, before the verification and the directory flush that follow.
    /// </summary>
    public DateTimeOffset? LastRenamedAt { get; private set; }

    /// <summary>The guardian's own temporary files start with this; watchers ignore them by name.</summary>
    public string TempPrefix => "." + FileName + TempMarker;

    public SettingsRead Read()
    {
        var dir = _fs.LStat(Directory);
        if (dir is null)
        {
            return SettingsRead.DirectoryMissing;
        }

        if (dir.Value.Kind != FileKind.Directory)
        {
            return SettingsRead.Refused($"the settings directory {Directory} is {dir.Value.KindName}", dir);
        }

        // lstat first so a device or FIFO is refused without being opened at all.
        var seen = _fs.LStat(SettingsPath);
        if (seen is null)
        {
            return SettingsRead.Absent;
        }

        if (Refusal(seen.Value) is { } early)
        {
            return SettingsRead.Refused(early, seen);
        }

        SafeFileHandle handle;
        try
        {
            handle = _fs.OpenRead(SettingsPath);
        }
        catch (PosixException ex) when (ex.ErrorNumber == Errno.ENOENT)
        {
            return SettingsRead.Absent;
        }
        catch (PosixException ex) when (ex.ErrorNumber is Errno.ELOOP or Errno.ENXIO)
        {
            // Swapped for a link or a socket between the lstat and the open.
            return SettingsRead.Refused("the settings path is not a regular file");
        }

        using (handle)
        {
            var stat = _fs.FStat(handle, SettingsPath);
            if (Refusal(stat) is { } late)
            {
                return SettingsRead.Refused(late, stat);
            }

            var bytes = ReadAll(handle, stat.Size);
            return bytes is null
                ? SettingsRead.Refused($"the file grew past Guardian:MaxFileBytes ({MaxFileBytes} bytes) while being read", stat)
                : new SettingsRead(ReadStatus.Present, bytes, stat, "");
        }
    }

    /// <summary>
    /// Replaces the file with <paramref name="content"/> if it still holds what <paramref name="basis"/> read.
    /// Temp file in the same directory, written, flushed, owner and mode set, then swapped in atomically.
    /// </summary>
    public ReplaceOutcome Replace(SettingsRead basis, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(content);
        var (uid, gid, mode) = OwnerAndMode(basis);
        // Mutation testing: "N" -> "" survives and is equivalent: the default format starts with the same 8 hex digits.
        var temp = Path.Combine(Directory, TempPrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        var tempExists = false;
        try
        {
            ulong ourInode;
            bool leases;
            using (var handle = _fs.CreateExclusive(temp))
            {
                tempExists = true;
                _fs.Write(handle, content, temp);
                if (uid != _fs.EffectiveUid || gid != _fs.EffectiveGid)
                {
                    _fs.FChown(handle, uid, gid, temp);
                }

                _fs.FChmod(handle, mode, temp);
                _fs.Fsync(handle, temp);
                ourInode = _fs.FStat(handle, temp).Inode;

                // Nobody else can have our fresh temp file open, so a lease on it is granted wherever leases work
                // (closing the handle releases it).
                leases = _fs.TryWriteLease(handle, temp) == LeaseResult.Granted;
            }

            var outcome = basis.Status == ReadStatus.Absent ? CreateNew(temp) : SwapIn(basis, temp, ourInode, content, leases);
            // Stryker disable once Logical : once Replaced the temp name is gone (renamed, or unlinked after the exchange); this only saves an lstat
            tempExists = outcome == ReplaceOutcome.Conflict && _fs.LStat(temp) is not null;
            if (outcome == ReplaceOutcome.Replaced)
            {
                _fs.FsyncDirectory(Directory);
            }

            return outcome;
        }
        finally
        {
            if (tempExists)
            {
                TryUnlink(temp);
            }
        }
    }

    /// <summary>Keeps a copy of bytes a repair is about to drop: <c>settings.json.&lt;kind&gt;-&lt;UTC time&gt;</c>, mode 0600.</summary>
    public string Quarantine(byte[] original, string kind, FileStat? owner, int keep)
    {
        ArgumentNullException.ThrowIfNull(original);
        var stamp = _time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss.fff'Z'", CultureInfo.InvariantCulture);
        var baseName = $"{SettingsPath}.{kind}-{stamp}";
        var path = baseName;
        for (var n = 1; _fs.LStat(path) is not null; n++)
        {
            path = baseName + "-" + n.ToString(CultureInfo.InvariantCulture);
        }

        using (var handle = _fs.CreateExclusive(path))
        {
            try
            {
                _fs.Write(handle, original, path);
                if (owner is { } o && (o.Uid != _fs.EffectiveUid || o.Gid != _fs.EffectiveGid))
                {
                    _fs.FChown(handle, o.Uid, o.Gid, path);
                }

                _fs.Fsync(handle, path);
            }
            catch (PosixException)
            {
                // A partial copy is no copy: remove it so the repair does not go ahead believing it is safe.
                TryUnlink(path);
                throw;
            }
        }

        _fs.FsyncDirectory(Directory);
        Prune(kind, keep);
        return path;
    }

    /// <summary>Removes temp files left by guardian processes that are gone (a crash between create and rename).</summary>
    public IReadOnlyList<string> RemoveStaleTemps()
    {
        var removed = new List<string>();
        foreach (var path in _fs.ListFiles(Directory, TempPrefix + "*.tmp"))
        {
            var rest = Path.GetFileName(path)[TempPrefix.Length..];
            var dash = rest.IndexOf('-', StringComparison.Ordinal);
            // Mutation testing: "dash >= 0" survives and is equivalent: an empty pid does not parse either.
            var alive = dash > 0 && int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != Environment.ProcessId && System.IO.Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture));
            if (!alive && TryUnlink(path))
            {
                removed.Add(path);
            }
        }

        return removed;
    }

    private string? Refusal(FileStat stat)
    {
        if (stat.Kind != FileKind.Regular)
        {
            return $"the settings path is {stat.KindName}";
        }

        return stat.Size > MaxFileBytes
            ? $"the file is {stat.Size} bytes, over Guardian:MaxFileBytes ({MaxFileBytes})"
            : null;
    }

    private byte[]? ReadAll(SafeFileHandle handle, long sizeHint)
    {
        // Read until end of file, not just to the stat size: a writer may still be appending.
        // Mutation testing: either Math.Max <-> Math.Min swap and "MaxFileBytes - 1" survive and are equivalent: the
        // first size only saves reallocations or memory; the loop reads to the end and returns null past MaxFileBytes.
        var buffer = new byte[Math.Min(Math.Max(sizeHint, 0) + 1, MaxFileBytes + 1)];
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                // Mutation testing: removing this block, or Math.Min -> Math.Max below, survives and is equivalent:
                // the check at the end of file returns null just the same, after one more (empty) read or more memory.
                if (buffer.Length > MaxFileBytes)
                {
                    return null;
                }

                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, MaxFileBytes + 1));
            }

            var n = _fs.Read(handle, buffer.AsSpan(total), total, SettingsPath);
            if (n == 0)
            {
                // Mutation testing: "false ? null : ..." survives and is equivalent: the read that returned 0 had room,
                // so total < buffer.Length <= MaxFileBytes + 1 here; the check above already returned null.
                return total > MaxFileBytes ? null : buffer[..total];
            }

            total += n;
        }
    }

    private (uint Uid, uint Gid, uint Mode) OwnerAndMode(SettingsRead basis)
    {
        if (basis.Stat is { } existing && basis.Status == ReadStatus.Present)
        {
            return (existing.Uid, existing.Gid, existing.Mode & 0x1FF);
        }

        // A new file belongs to whoever owns the directory (uid 1000 on a concierge), not to us.
        var dir = _fs.LStat(Directory) ?? throw new PosixException("lstat", Directory, Errno.ENOENT);
        return (dir.Uid, dir.Gid, (uint)NewFileMode);
    }

    private ReplaceOutcome CreateNew(string temp)
    {
        try
        {
            _fs.Rename(temp, SettingsPath, RenameMode.NoReplace);
            LastRenamedAt = _time.GetUtcNow();
            return ReplaceOutcome.Replaced;
        }
        catch (PosixException ex) when (ex.ErrorNumber == Errno.EEXIST)
        {
            return ReplaceOutcome.Conflict;
        }
        catch (PosixException ex) when (ex.ErrorNumber is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP)
        {
            // No RENAME_NOREPLACE on this file system: check, then a plain rename.
            if (_fs.LStat(SettingsPath) is not null)
            {
                return ReplaceOutcome.Conflict;
            }

            _fs.Rename(temp, SettingsPath, RenameMode.Replace);
            LastRenamedAt = _time.GetUtcNow();
            return ReplaceOutcome.Replaced;
        }
    }

    private ReplaceOutcome SwapIn(SettingsRead basis, string temp, ulong ourInode, byte[] content, bool leases)
    {
        if (_fs.LStat(SettingsPath) is not { } current || current.Fingerprint != basis.Stat!.Value.Fingerprint)
        {
            return ReplaceOutcome.Conflict;
        }

        DateTimeOffset renamedAt;
        try
        {
            _fs.Rename(temp, SettingsPath, RenameMode.Exchange);
            renamedAt = _time.GetUtcNow();
        }
        catch (PosixException ex) when (ex.ErrorNumber is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP)
        {
            // No RENAME_EXCHANGE here: the fingerprint check above is all the protection there is.
            _fs.Rename(temp, SettingsPath, RenameMode.Replace);
            LastRenamedAt = _time.GetUtcNow();
            return ReplaceOutcome.Replaced;
        }
        catch (PosixException ex) when (ex.ErrorNumber == Errno.ENOENT)
        {
            return ReplaceOutcome.Conflict;
        }

        // The exchange shows exactly what we displaced: it may be dropped only if it is what we read and nobody can
        // still write into it. A writer whose open(O_TRUNC) found the old file just before the exchange truncates and
        // writes it a moment later; the content check alone would miss that, and the writer's update would go into a
        // file nobody reads. A write lease closes most of that window: it is refused while the writer has the file
        // open, and while held, a writer's open waits before truncating, which F_GETLEASE then shows.
        // The lease lasts until `displaced` is closed, after the unlink or the put-back: a writer that waited for it
        // then writes the file at whichever name it has by then (the settings path, if it was put back).
        using var displaced = _fs.OpenRead(temp);
        var lease = leases ? _fs.TryWriteLease(displaced, temp) : LeaseResult.Unavailable;
        if (lease != LeaseResult.Busy && Holds(displaced, temp, basis.Bytes)
            && !(lease == LeaseResult.Granted && _fs.LeaseBreaking(displaced, temp)))
        {
            TryUnlink(temp);
            LastRenamedAt = renamedAt;
            return ReplaceOutcome.Replaced;
        }

        PutBack(temp, ourInode, content);
        return ReplaceOutcome.Conflict;
    }

    /// <summary>Another writer changed the file after our read: put what we displaced back, unless a newer write went into ours.</summary>
    private void PutBack(string temp, ulong ourInode, byte[] content)
    {
        if (_fs.LStat(SettingsPath) is { } now && now.Inode == ourInode)
        {
            _fs.Rename(temp, SettingsPath, RenameMode.Exchange);

            // A truncate-then-write writer that opened the path while our file was there wrote into our inode:
            // that is the newest content (newer than what we displaced), so it is the one that must stay.
            using var ours = _fs.OpenRead(temp);
            if (!Holds(ours, temp, content))
            {
                _fs.Rename(temp, SettingsPath, RenameMode.Exchange);
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

    private void Prune(string kind, int keep)
    {
        try
        {
            var copies = _fs.ListFiles(Directory, FileName + "." + kind + "-*")
                .OrderByDescending(p => p, StringComparer.Ordinal)
                .Skip(keep)
                .ToList();
            foreach (var old in copies)
            {
                TryUnlink(old);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Housekeeping only: the copy is safe on disk, an old one left over is retried at the next quarantine.
        }
    }

    private bool TryUnlink(string path)
    {
        try
        {
            _fs.Unlink(path);
            return true;
        }
        catch (PosixException)
        {
            return false;
        }
    }
}
