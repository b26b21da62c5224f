using Microsoft.Win32.SafeHandles;

namespace MoleculeGuardian.Files;

/// <summary>
/// The settings directory, resolved once for one use: every later call names things relative to <see cref="Handle"/>,
/// so a directory swapped for a symlink (or for another directory) afterwards changes nothing about where they land.
/// </summary>
internal sealed class SettingsDirectory : IDisposable
{
    internal SettingsDirectory(SafeFileHandle handle, FileStat stat, string path)
    {
        Handle = handle;
        Stat = stat;
        Path = path;
    }

    /// <summary>An <c>O_PATH</c> handle on the directory.</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>The directory as it was when it was opened: owner, mode, identity.</summary>
    public FileStat Stat { get; }

    /// <summary>For log lines only.</summary>
    public string Path { get; }

    public void Dispose() => Handle.Dispose();
}

internal enum DirectoryStatus
{
    Open,

    /// <summary>The directory, or one on the way to it, does not exist.</summary>
    Missing,

    /// <summary>Something on the way is not a plain directory, or not one root may trust; <see cref="DirectoryOpen.Reason"/> says what.</summary>
    Refused,
}

internal sealed record DirectoryOpen(DirectoryStatus Status, SettingsDirectory? Directory, string Reason)
{
    public static DirectoryOpen Missing { get; } = new(DirectoryStatus.Missing, null, "");

    public static DirectoryOpen Refused(string reason) => new(DirectoryStatus.Refused, null, reason);
}

/// <summary>
/// Resolves a directory path from <c>/</c> one component at a time, each opened relative to the last with
/// <c>O_NOFOLLOW|O_DIRECTORY</c>: no symlink is followed anywhere on the way. This is what
/// <c>openat2(RESOLVE_NO_SYMLINKS)</c> does in one call; the walk does it on every kernel (openat2 needs 5.6) and can
/// say which component was a link. Acting as root it also applies systemd's <c>CHASE_SAFE</c> rule: from a directory
/// owned by an ordinary user, it only goes on into a directory of that same user, since that user could have moved
/// any directory of someone else's there.
/// </summary>
internal static class DirectoryWalk
{
    public static DirectoryOpen Open(IFileSystemCalls fs, string directory, bool privileged)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentNullException.ThrowIfNull(directory);
        var current = fs.OpenDirectory(null, "/", "/");
        try
        {
            var stat = fs.FStat(current, "/");
            var walked = "";
            foreach (var name in directory.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                walked += "/" + name;
                if (name is "." or "..")
                {
                    return DirectoryOpen.Refused($"the settings path has a '{name}' component; give it as a plain absolute path");
                }

                SafeFileHandle next;
                try
                {
                    next = fs.OpenDirectory(current, name, walked);
                }
                catch (PosixException ex) when (ex.ErrorNumber == Errno.ENOENT)
                {
                    return DirectoryOpen.Missing;
                }
                catch (PosixException ex) when (ex.ErrorNumber is Errno.ENOTDIR or Errno.ELOOP)
                {
                    return NotADirectory(fs, current, name, walked);
                }

                var nextStat = fs.FStat(next, walked);
                if (privileged && stat.Uid != 0 && stat.Uid != nextStat.Uid)
                {
                    next.Dispose();
                    return DirectoryOpen.Refused($"{walked} belongs to uid {nextStat.Uid} but sits in {System.IO.Path.GetDirectoryName(walked)}, which belongs to uid {stat.Uid}: "
                        + "that user could have put it there, so root does not act in it");
                }

                current.Dispose();
                current = next;
                stat = nextStat;
            }

            var opened = new DirectoryOpen(DirectoryStatus.Open, new SettingsDirectory(current, stat, directory), "");
            current = null!;
            return opened;
        }
        finally
        {
            current?.Dispose();
        }
    }

    private static DirectoryOpen NotADirectory(IFileSystemCalls fs, SafeFileHandle parent, string name, string walked)
    {
        var what = fs.StatAt(parent, name, walked);
        return what switch
        {
            null => DirectoryOpen.Missing,
            { Kind: FileKind.Symlink } => DirectoryOpen.Refused(
                $"{walked} is a symbolic link: the guardian follows none on the way to the settings file; configure the real path"),
            { Kind: FileKind.Directory } => DirectoryOpen.Refused($"{walked} changed while it was being opened"),
            { } other => DirectoryOpen.Refused($"{walked} is {other.KindName}, not a directory"),
        };
    }
}
