using System.Globalization;

namespace MoleculeGuardian.Tests.Support;

/// <summary>What a running process holds, read from /proc: its threads' names and its network sockets.</summary>
internal static class ProcessInspection
{
    /// <summary>Thread names (comm, at most 15 characters) of every thread of <paramref name="pid"/>.</summary>
    public static IReadOnlyList<string> ThreadNames(int pid) =>
        [.. Directory.GetDirectories($"/proc/{pid}/task").Select(task => ReadOrEmpty(Path.Combine(task, "comm")).Trim())];

    /// <summary>How many of the process's file descriptors are TCP or UDP sockets (IPv4 or IPv6).</summary>
    public static int InetSockets(int pid)
    {
        var inet = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "tcp", "tcp6", "udp", "udp6" })
        {
            // The inode is the tenth column of /proc/net/{tcp,udp}[6].
            foreach (var line in ReadOrEmpty($"/proc/net/{table}").Split('\n').Skip(1))
            {
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (columns.Length > 9)
                {
                    inet.Add(columns[9]);
                }
            }
        }

        var count = 0;
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget ?? "";
            if (target.StartsWith("socket:[", StringComparison.Ordinal) && inet.Contains(target[8..^1]))
            {
                count++;
            }
        }

        return count;
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }

    public static string Describe(int pid) =>
        $"threads: {string.Join(", ", ThreadNames(pid))}; inet sockets: {InetSockets(pid).ToString(CultureInfo.InvariantCulture)}";
}
