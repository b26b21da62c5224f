using System.Buffers;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace MoleculeGuardian.Files;

/// <summary>
/// Reads and atomically replaces the settings file. Resolves the directory once per read, without following any
/// symlink, and does everything after through that handle; never blocks on a FIFO; keeps the owner and mode of the
/// file it replaces; never puts back content computed from a stale read.
/// </summary>
internal sealed partial class SettingsFileStore
{
    private const string TempMarker = ".guardian-";
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdef");
    private readonly IFileSystemCalls _fs;
    private readonly TimeProvider _time;
    private readonly Privilege _privilege;

    public SettingsFileStore(string settingsPath, long maxFileBytes, UnixFileMode newFileMode, IFileSystemCalls fs, TimeProvider time, Privilege privilege)
    {
        SettingsPath = settingsPath;
        // Stryker disable once String : null only when the settings path is "/" itself, which names no file to guard
        Directory = Path.GetDirectoryName(settingsPath) ?? "/";
        FileName = Path.GetFileName(settingsPath);
        MaxFileBytes = maxFileBytes;
        NewFileMode = newFileMode;
        _fs = fs;
        _time = time;
        ArgumentNullException.ThrowIfNull(privilege);
        _privilege = privilege.Directory == Directory ? privilege
            : throw new ArgumentException($"the privilege is for {privilege.Directory}, not {Directory}", nameof(privilege));
    }

    /// <summary>Whom the guardian acts as in the directory: settled once, at start, by the identity step, not here.</summary>
    public Privilege Privilege => _privilege;

    public string SettingsPath { get; }

    public string Directory { get; }

    public string FileName { get; }

    public long MaxFileBytes { get; }

    public UnixFileMode NewFileMode { get; }

    /// <summary>The guardian's own temporary files start with this; watchers ignore them by name.</summary>
    public string TempPrefix => "." + FileName + TempMarker;

    /// <summary>
    /// Opens the directory (as the identity step settled) and reads the file through it. The result holds
    /// the directory handle for the replace and the quarantine that follow: dispose it when done.
    /// </summary>
    public SettingsRead Read()
    {
        var open = OpenDirectory();
        if (open.Directory is not { } dir)
        {
            return open.Status == DirectoryStatus.Missing ? SettingsRead.DirectoryMissing : SettingsRead.Refused(open.Reason);
        }

        var keep = false;
        try
        {
            var read = ReadIn(dir);
            keep = read.Directory is not null;
            return read;
        }
        finally
        {
            if (!keep)
            {
                dir.Dispose();
            }
        }
    }

    /// <summary>
    /// Replaces the file with <paramref name="content"/> if it still holds what <paramref name="basis"/> read, in the
    /// directory that read went through. Temp file written, flushed, owner and mode set, then swapped in atomically.
    /// </summary>
    public ReplaceResult Replace(SettingsRead basis, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(content);
        var dir = basis.Directory ?? throw new ArgumentException("only a read that found the directory can be replaced", nameof(basis));
        if (OwnerRefusal(basis) is { } refused)
        {
            return new ReplaceResult(ReplaceOutcome.Refused, Reason: refused);
        }

        var (uid, gid, mode) = OwnerAndMode(basis, dir);
        // Mutation testing: "N" -> "" survives and is equivalent: the default format starts with the same 8 hex digits.
        var temp = TempPrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var tempPath = Path.Combine(Directory, temp);
        var tempExists = false;
        try
        {
            ulong ourInode;
            using (var handle = _fs.CreateExclusiveAt(dir.Handle, temp, tempPath))
            {
                tempExists = true;
                _fs.Write(handle, content, tempPath);
                if (uid != _privilege.Identity.Uid || gid != _privilege.Identity.Gid)
                {
                    _fs.FChown(handle, uid, gid, tempPath);
                }

                _fs.FChmod(handle, mode, tempPath);
                _fs.Fsync(handle, tempPath);
                ourInode = _fs.FStat(handle, tempPath).Inode;
            }

            // No lease is probed on the temp file: the read lease taken on the displaced file after the exchange
            // decides alone, since neither "unavailable" nor "busy" stops a replace. (Such a probe would have to be a
            // read lease through a fresh read-only handle: our own write handle counts as a writer, and a read lease
            // is never granted beside one.)
            var swap = new Swap(dir.Handle, temp, tempPath, ourInode);
            var result = basis.Status == ReadStatus.Absent ? CreateNew(swap) : SwapIn(basis, swap, content);
            // Stryker disable once Logical : once Replaced the temp name is gone (renamed, or unlinked after the exchange); this only saves a stat
            tempExists = result.Outcome != ReplaceOutcome.Replaced && _fs.StatAt(dir.Handle, temp, tempPath) is not null;
            if (result.Outcome == ReplaceOutcome.Replaced)
            {
                _fs.FsyncDirectory(dir.Handle, Directory);
            }

            return result;
        }
        finally
        {
            if (tempExists)
            {
                TryUnlink(dir.Handle, temp);
            }
        }
    }

    /// <summary>
    /// Acting as anyone but root, the guardian cannot give a replacement another user's ownership, and changing who
    /// owns a file is not its call: such a file is left alone, with a reason. Null when the owner can be kept.
    /// </summary>
    public string? OwnerRefusal(SettingsRead basis)
    {
        ArgumentNullException.ThrowIfNull(basis);
        var identity = _privilege.Identity;
        if (basis.Status != ReadStatus.Present || basis.Stat is not { } stat || identity.Uid == 0
            || (stat.Uid == identity.Uid && identity.InGroup(stat.Gid)))
        {
            return null;
        }

        // Started as root, the guardian chose whom it acts as once, at start: running it "as the owner" means RunAs.
        return $"the file belongs to {stat.Uid}:{stat.Gid} and the guardian acts as {identity.Uid}:{identity.Gid}, "
            + "so a replacement could not keep that owner; chown the file to the directory's owner, or "
            + (_privilege.StartedAsRoot ? "set Guardian:RunAs to the file's owner" : "run the guardian as its owner");
    }

    /// <summary>
    /// Keeps a copy of the bytes <paramref name="basis"/> read, which a repair is about to drop, in the same directory:
    /// <c>settings.json.&lt;kind&gt;-&lt;UTC time&gt;</c>, mode 0600, owned like the file. Returns where it is.
    /// </summary>
    public string Quarantine(SettingsRead basis, QuarantineKind kind, int keep)
    {
        ArgumentNullException.ThrowIfNull(basis);
        var dir = basis.Directory ?? throw new ArgumentException("only a read that found the directory can be quarantined", nameof(basis));
        var copy = QuarantineName.For(FileName, kind, _time.GetUtcNow());
        SafeFileHandle handle;
        for (var n = 1; ; n++)
        {
            try
            {
                handle = _fs.CreateExclusiveAt(dir.Handle, copy.Name, Path.Combine(Directory, copy.Name));
                break;
            }
            catch (PosixException ex) when (ex.ErrorNumber == Errno.EEXIST && n < 1000)
            {
                copy = copy with { Sequence = n };
            }
        }

        var path = Path.Combine(Directory, copy.Name);
        using (handle)
        {
            try
            {
                _fs.Write(handle, basis.Bytes, path);
                if (basis.Stat is { } o && (o.Uid != _privilege.Identity.Uid || o.Gid != _privilege.Identity.Gid))
                {
                    _fs.FChown(handle, o.Uid, o.Gid, path);
                }

                _fs.Fsync(handle, path);
            }
            catch (PosixException)
            {
                // A partial copy is no copy: remove it so the repair does not go ahead believing it is safe.
                TryUnlink(dir.Handle, copy.Name);
                throw;
            }
        }

        _fs.FsyncDirectory(dir.Handle, Directory);
        Prune(dir, copy, keep);
        return path;
    }

    /// <summary>
    /// Removes temp files left by guardian processes that are gone (a crash between create and rename), yielding
    /// each one's path as it goes. Lazy: the directory is read as the result is enumerated, in one streamed pass that
    /// holds no list of names, so enumerate it to the end. The same pass notes the quarantine copies already there,
    /// so that no quarantine of this process has to list the directory (see <see cref="Prune"/>).
    /// </summary>
    public IEnumerable<string> RemoveStaleTemps()
    {
        var open = OpenDirectory();
        using var dir = open.Directory;
        if (dir is null)
        {
            yield break;
        }

        var copies = new KnownCopies(dir.Stat);
        var before = QuarantineName.For(FileName, QuarantineKind.Corrupt, _time.GetUtcNow()).Order;
        foreach (var name in _fs.ListNames(dir.Handle, Directory))
        {
            // Our own pid counts as gone: this runs at start, before we make any, and a restarted container reuses pids.
            if (TempOwner(name) is { } pid
                && (pid == Environment.ProcessId || !System.IO.Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture)))
                && IsPlainFile(dir, name) && TryUnlink(dir.Handle, name))
            {
                yield return Path.Combine(Directory, name);
            }
            else
            {
                Note(copies, dir, name, before);
            }
        }

        Remember(copies);
    }

    private DirectoryOpen OpenDirectory() => _privilege.Open();

    private SettingsRead ReadIn(SettingsDirectory dir)
    {
        // Stat first, so a device or FIFO is refused without being opened at all.
        var seen = _fs.StatAt(dir.Handle, FileName, SettingsPath);
        if (seen is null)
        {
            return SettingsRead.AbsentIn(dir);
        }

        if (Refusal(seen.Value) is { } early)
        {
            return SettingsRead.Refused(early, seen);
        }

        SafeFileHandle handle;
        try
        {
            handle = _fs.OpenReadAt(dir.Handle, FileName, SettingsPath);
        }
        catch (PosixException ex) when (ex.ErrorNumber == Errno.ENOENT)
        {
            return SettingsRead.AbsentIn(dir);
        }
        catch (PosixException ex) when (ex.ErrorNumber is Errno.ELOOP or Errno.ENXIO)
        {
            // Swapped for a link or a socket between the stat and the open.
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
                : new SettingsRead(ReadStatus.Present, bytes, stat, "", dir);
        }
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
        // Read until end of file, not just to the stat size: a writer may still be appending. A file that did not
        // change fills an array of exactly its size, and a one-byte read then finds its end: the bytes are held once,
        // never copied to trim a spare byte (a heal's memory is a multiple of the file's size, README "Performance").
        var buffer = new byte[Math.Min(Math.Max(sizeHint, 0), MaxFileBytes)];
        var total = 0;
        Span<byte> probe = stackalloc byte[1];
        while (true)
        {
            var n = total < buffer.Length ? _fs.Read(handle, buffer.AsSpan(total), total, SettingsPath) : _fs.Read(handle, probe, total, SettingsPath);
            if (n == 0)
            {
                // Shorter than the stat said (a writer truncated it since): the rare copy.
                return total == buffer.Length ? buffer : buffer[..total];
            }

            if (total == buffer.Length)
            {
                // Longer than the stat said: a writer is appending. Past the limit it is refused; else grow and go on.
                if (total >= MaxFileBytes)
                {
                    return null;
                }

                Array.Resize(ref buffer, (int)Math.Min(Math.Max((long)buffer.Length * 2, 4096), MaxFileBytes));
                buffer[total] = probe[0];
            }

            total += n;
        }
    }

    private (uint Uid, uint Gid, uint Mode) OwnerAndMode(SettingsRead basis, SettingsDirectory dir)
    {
        if (basis.Stat is { } existing && basis.Status == ReadStatus.Present)
        {
            return (existing.Uid, existing.Gid, existing.Mode & 0x1FF);
        }

        // A new file belongs to the directory's owner (uid 1000 on a concierge), not to root. Anyone else creates it
        // as themselves: after the switch to the directory's owner that is the same user.
        var identity = _privilege.Identity;
        return identity.Uid == 0 ? (dir.Stat.Uid, dir.Stat.Gid, (uint)NewFileMode) : (identity.Uid, identity.Gid, (uint)NewFileMode);
    }

    /// <summary>The process id in a temp file name of exactly the guardian's form, or null.</summary>
    private int? TempOwner(string name)
    {
        // .settings.json.guardian-<pid>-<8 hex digits>.tmp
        if (!name.StartsWith(TempPrefix, StringComparison.Ordinal) || !name.EndsWith(".tmp", StringComparison.Ordinal))
        {
            return null;
        }

        var middle = name.AsSpan(TempPrefix.Length, name.Length - TempPrefix.Length - 4);
        var dash = middle.IndexOf('-');
        // A pid is written without leading zeros: a name with one is not the guardian's.
        // Mutation testing: "dash >= 0" and "pid >= 0" survive and are equivalent: an empty pid (dash 0) fails TryParse,
        // and a pid of 0 is the name "0-...", which the leading-zero check already refused (NumberStyles.None: no sign).
        return dash > 0 && middle[0] != '0' && middle.Length - dash - 1 == 8 && !middle[(dash + 1)..].ContainsAnyExcept(HexDigits)
            && int.TryParse(middle[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
            ? pid : null;
    }

    private bool IsPlainFile(SettingsDirectory dir, string name) =>
        _fs.StatAt(dir.Handle, name, Path.Combine(Directory, name)) is { Kind: FileKind.Regular, Links: 1 };

    private bool TryUnlink(SafeFileHandle dir, string name)
    {
        try
        {
            _fs.UnlinkAt(dir, name, Path.Combine(Directory, name));
            return true;
        }
        catch (PosixException)
        {
            return false;
        }
    }
}
