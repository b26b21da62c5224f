using System.Globalization;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>
/// CPU and memory of a process and all its descendants, from /proc. CPU is utime+stime+cutime+cstime of every live
/// process in the tree: a child that has exited and been reaped is in its parent's cutime/cstime, so a shell loop's
/// short-lived jq and mv processes are counted too. Memory is the sum of VmRSS (and of VmHWM) over the live tree.
/// </summary>
internal static class ProcTree
{
    private static readonly double TickSeconds = 1.0 / 100; // sysconf(_SC_CLK_TCK) is 100 on Linux x86-64.

    public static double CpuSeconds(int root)
    {
        long ticks = 0;
        foreach (var pid in Tree(root))
        {
            var fields = StatFields(pid);
            if (fields is null)
            {
                continue;
            }

            // Fields after "(comm)": state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14.
            ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
                + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }

        return ticks * TickSeconds;
    }

    /// <summary>
    /// Precise CPU time (ns) of the live threads of the tree, from /proc/&lt;pid&gt;/task/&lt;tid&gt;/schedstat. Used for idle CPU,
    /// where the 10 ms resolution of /proc/&lt;pid&gt;/stat (two truncated values at each end) is as large as the target;
    /// a thread that exits during the interval loses its share, so this can only under-count a busy process.
    /// </summary>
    public static long SchedNs(int root)
    {
        long ns = 0;
        foreach (var pid in Tree(root))
        {
            try
            {
                foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                {
                    var text = File.ReadAllText(Path.Combine(task, "schedstat"));
                    ns += long.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // Exited meanwhile.
            }
        }

        return ns;
    }

    /// <summary>Sum of VmRSS and of VmHWM over the live tree, in MiB.</summary>
    public static (double RssMiB, double HwmMiB, int Processes) Memory(int root)
    {
        long rss = 0, hwm = 0;
        var count = 0;
        foreach (var pid in Tree(root))
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        rss += Kb(line);
                    }
                    else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        hwm += Kb(line);
                    }
                }

                count++;
            }
            catch (IOException)
            {
                // Exited meanwhile.
            }
        }

        return (rss / 1024.0, hwm / 1024.0, count);
    }

    public static List<int> Tree(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var fields = StatFields(pid);
            if (fields is null)
            {
                continue;
            }

            var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (!children.TryGetValue(ppid, out var list))
            {
                children[ppid] = list = [];
            }

            list.Add(pid);
        }

        var result = new List<int> { root };
        for (var i = 0; i < result.Count; i++)
        {
            if (children.TryGetValue(result[i], out var list))
            {
                result.AddRange(list);
            }
        }

        return result;
    }

    private static string[]? StatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var close = text.LastIndexOf(')');
            return text[(close + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Kb(string line) =>
        long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
}
