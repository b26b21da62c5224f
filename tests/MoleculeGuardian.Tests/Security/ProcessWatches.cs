using System.Globalization;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// What a running guardian watches and holds, read from /proc as root reads it (a guardian that switched to another
/// user is no longer dumpable by that user, but root still sees it): the inodes of its inotify watches, as
/// <c>/proc/PID/fdinfo</c> lists them, and its children.
/// </summary>
internal static class ProcessWatches
{
    /// <summary>
    /// Every inotify watch the process holds, by watch descriptor and watched inode: "inotify wd:1 ino:b1e11c sdev:..."
    /// in fdinfo. A rebuilt watch gets a new descriptor.
    /// </summary>
    public static IReadOnlyList<(int Wd, ulong Inode)> Watches(int pid)
    {
        var watches = new List<(int, ulong)>();
        foreach (var fd in Fds(pid))
        {
            if (Link(fd) != "anon_inode:inotify")
            {
                continue;
            }

            foreach (var line in Read($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}").Split('\n'))
            {
                if (line.StartsWith("inotify wd:", StringComparison.Ordinal))
                {
                    var fields = line.Split(' ').Select(f => f.Split(':', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
                    watches.Add((int.Parse(fields["wd"], CultureInfo.InvariantCulture), ulong.Parse(fields["ino"], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
                }
            }
        }

        return watches;
    }

    /// <summary>
    /// The inodes of the directories among <paramref name="inodes"/> that the process holds open (its fdinfo's "ino:"
    /// line, which lists O_PATH handles too).
    /// </summary>
    public static IReadOnlyList<ulong> HeldInodes(int pid, IReadOnlyCollection<ulong> inodes)
    {
        var held = new List<ulong>();
        foreach (var fd in Fds(pid))
        {
            foreach (var line in Read($"/proc/{pid}/fdinfo/{Path.GetFileName(fd)}").Split('\n'))
            {
                if (line.StartsWith("ino:", StringComparison.Ordinal)
                    && ulong.TryParse(line[4..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var inode) && inodes.Contains(inode))
                {
                    held.Add(inode);
                }
            }
        }

        return held;
    }

    /// <summary>The one process whose parent is <paramref name="parent"/> (a command started under strace or setpriv).</summary>
    public static int? ChildOf(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (name.All(char.IsAsciiDigit) && Read(Path.Combine(dir, "stat")) is { Length: > 0 } stat)
            {
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length > 1 && fields[1] == parent.ToString(CultureInfo.InvariantCulture))
                {
                    return int.Parse(name, CultureInfo.InvariantCulture);
                }
            }
        }

        return null;
    }

    private static string[] Fds(int pid)
    {
        try
        {
            // Not GetFiles: .NET counts a link to a directory (a directory handle's entry) as a directory.
            return Directory.GetFileSystemEntries($"/proc/{pid}/fd");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string? Link(string fd)
    {
        try
        {
            return new FileInfo(fd).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
