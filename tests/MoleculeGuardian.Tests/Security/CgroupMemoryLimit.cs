using System.Globalization;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// A cgroup v1 memory limit for one command, as systemd's <c>MemoryMax=</c> puts on the unit: a child of the test
/// process's own memory cgroup, with <c>memory.limit_in_bytes</c> (and the memory+swap limit, so nothing escapes to
/// swap) set. Null where none can be made (no v1 memory controller, not root). Removed when disposed, once the
/// command's processes are gone.
/// </summary>
internal sealed class CgroupMemoryLimit : IDisposable
{
    private const string Hierarchy = "/sys/fs/cgroup/memory";
    private readonly string _path;

    private CgroupMemoryLimit(string path) => _path = path;

    /// <summary>The memory.max_usage_in_bytes so far.</summary>
    public long MaxUsage => ReadLong("memory.max_usage_in_bytes");

    /// <summary>How often usage hit the limit (and the kernel reclaimed to stay under it).</summary>
    public long FailCount => ReadLong("memory.failcnt");

    /// <summary>Processes of this cgroup the OOM killer killed.</summary>
    public int OomKills => File.ReadLines(Path.Combine(_path, "memory.oom_control"))
        .Where(l => l.StartsWith("oom_kill ", StringComparison.Ordinal))
        .Select(l => int.Parse(l[9..], CultureInfo.InvariantCulture)).FirstOrDefault();

    public static CgroupMemoryLimit? TryCreate(long bytes)
    {
        var own = File.ReadLines("/proc/self/cgroup").Select(l => l.Split(':', 3))
            .FirstOrDefault(f => f.Length == 3 && f[1].Split(',').Contains("memory"))?[2];
        if (own is null || !File.Exists(Path.Combine(Hierarchy, "cgroup.procs")))
        {
            return null;
        }

        var path = Path.Combine(Hierarchy + own, "mg-test-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            Directory.CreateDirectory(path);
            var limit = new CgroupMemoryLimit(path);
            File.WriteAllText(Path.Combine(path, "memory.limit_in_bytes"), bytes.ToString(CultureInfo.InvariantCulture));
            if (File.Exists(Path.Combine(path, "memory.memsw.limit_in_bytes")))
            {
                File.WriteAllText(Path.Combine(path, "memory.memsw.limit_in_bytes"), bytes.ToString(CultureInfo.InvariantCulture));
            }

            return limit;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryRemove(path);
            return null;
        }
    }

    /// <summary>The command, started by a shell that first moves itself into the cgroup and then execs it (same pid).</summary>
    public string[] Wrap(string[] command) => ["sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", Path.Combine(_path, "cgroup.procs"), .. command];

    public void Dispose()
    {
        // rmdir fails with EBUSY while a process is still in it; the command was stopped and reaped just before.
        _ = SpinWait.SpinUntil(() => TryRemove(_path), TimeSpan.FromSeconds(10));
    }

    private long ReadLong(string file) => long.Parse(File.ReadAllText(Path.Combine(_path, file)).Trim(), CultureInfo.InvariantCulture);

    private static bool TryRemove(string path)
    {
        try
        {
            Directory.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
