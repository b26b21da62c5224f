using System.Diagnostics;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>
/// One storm (issue 8, item 3): back-to-back plain writes that keep the entry, or that each evict it. CPU is the
/// subject's process tree from the first write until it settled (or the cap), in seconds. Writes are the subject's
/// heal lines, during the storm and after it (by when the harness received them). <see cref="RestoredMs"/> (evicting storms): from the end of the last
/// write to the first read that finds the entry.
/// </summary>
internal sealed record StormRun(bool Evicting, int Writes, double StormSeconds, double CpuSeconds, int WritesDuring, int WritesAfter,
    bool Settled, double SettleSeconds, double RestoredMs, int FightingLogged, Dictionary<int, int> Events, double RssAfterMiB, double HwmMiB);

/// <summary>A subject left alone after start: idle CPU and memory (issue 8, item 4).</summary>
internal sealed record IdleRun(double CpuMsPerMinute, double TicksMsPerMinute, double Seconds, double RssAfterStartMiB, double HwmMiB, int Processes);

internal static class Storm
{
    /// <summary>Starts the subject on a healthy file, then writes <paramref name="content"/> <paramref name="writes"/> times.</summary>
    public static StormRun Measure(Subject subject, string dir, byte[] healthy, byte[] content, bool evicting, int writes, TimeSpan cap, Observer observer)
    {
        var path = Path.Combine(dir, "settings.json");
        using var running = StartAtRest(subject, path, healthy, observer);

        var events = running.EventCounts();
        var heals = running.HealCount;
        var cpu = ProcTree.CpuSeconds(running.Pid);
        var start = Stopwatch.GetTimestamp();
        var end = start;
        for (var i = 0; i < writes; i++)
        {
            end = Native.WriteInPlace(path, content).End;
        }

        // A subject that is still busy at the cap (the jq loop works through one event at a time) is measured up
        // to the cap: the CPU it used so far, the writes it made so far.
        var restored = evicting && observer.WaitForEntry(path, end, cap) is { } seen ? Stats.Ms(end, seen) : double.NaN;
        var left = cap - Stopwatch.GetElapsedTime(end);
        var settled = running.WaitAtRest(TimeSpan.FromSeconds(1), left > TimeSpan.Zero ? left : TimeSpan.Zero, TimeSpan.FromMilliseconds(50), cpu: true);

        // Settled means a second without a sign of life; the settle time ends where that second began.
        var settle = Stopwatch.GetElapsedTime(end).TotalSeconds - (settled ? 1 : 0);
        var cpuUsed = ProcTree.CpuSeconds(running.Pid) - cpu;
        var lines = running.HealsSince(heals);
        var after = running.EventsSince(events);
        var memory = ProcTree.Memory(running.Pid);
        return new StormRun(evicting, writes, Stats.Ms(start, end) / 1000, cpuUsed,
            lines.Count(l => l.At <= end), lines.Count(l => l.At > end), settled, settle, restored,
            after.GetValueOrDefault(GuardianSubject.FightingEvent),
            after,
            memory.RssMiB, memory.HwmMiB);
    }

    /// <summary>
    /// Idle CPU from per-thread schedstat (ns): /proc/&lt;pid&gt;/stat's utime+stime has 10 ms resolution, as large as
    /// the target. Both are reported.
    /// </summary>
    public static IdleRun Idle(Subject subject, string dir, byte[] healthy, int seconds, Observer observer)
    {
        var path = Path.Combine(dir, "settings.json");
        using var running = StartAtRest(subject, path, healthy, observer);
        var rssAfterStart = ProcTree.Memory(running.Pid).RssMiB;

        var start = Stopwatch.GetTimestamp();
        var ticks = ProcTree.CpuSeconds(running.Pid);
        var sched = ProcTree.SchedNs(running.Pid);
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        var measured = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var cpuMs = (ProcTree.SchedNs(running.Pid) - sched) / 1e6 * 60 / measured;
        var ticksMs = (ProcTree.CpuSeconds(running.Pid) - ticks) * 1000 * 60 / measured;
        var memory = ProcTree.Memory(running.Pid);
        return new IdleRun(cpuMs, ticksMs, measured, rssAfterStart, memory.HwmMiB, memory.Processes);
    }

    /// <summary>Starts the subject on a healthy file and waits until it has the entry and a second without a sign of life.</summary>
    private static RunningSubject StartAtRest(Subject subject, string path, byte[] healthy, Observer observer)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, healthy);
        var running = subject.Start(path);
        try
        {
            _ = observer.WaitForEntry(path, Stopwatch.GetTimestamp(), Exposure.MissAfter);
            _ = running.WaitAtRest(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), cpu: true);
            return running;
        }
        catch
        {
            running.Dispose();
            throw;
        }
    }
}
