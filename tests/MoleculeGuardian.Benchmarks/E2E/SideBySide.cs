using System.Diagnostics;
using System.Text;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>
/// Several guardians measured side by side in one run, so that drift in the machine hits all alike: start to healed
/// (starts alternate between them), then all at rest together for a while: RSS (anonymous and file-backed), peak,
/// threads and CPU. The <c>telemetry</c> and <c>footprint</c> verbs are two choices of column.
/// </summary>
internal static class SideBySide
{
    internal sealed record Column(string Label, string Binary, GuardianSubject Subject);

    public static string Table(IReadOnlyList<Column> columns, int runs, int idleSeconds, Action? atRest = null)
    {
        var root = Path.Combine(Path.GetTempPath(), $"guardian-side-by-side-{Environment.ProcessId}");
        var (needsHeal, healthy) = SettingsGenerator.Generate(4096);
        var observer = new Observer();
        try
        {
            var start = columns.Select(_ => new List<double>()).ToList();
            var memory = columns.Select(_ => new List<(double Rss, double Hwm, double Anon, int Threads, long SchedNs)>()).ToList();
            Console.Error.WriteLine($"side by side: start to healed and memory at rest, {runs} runs each (+1 warm-up), alternating");
            for (var i = 0; i <= runs; i++)
            {
                for (var c = 0; c < columns.Count; c++)
                {
                    var path = Path.Combine(root, $"{c}-start-{i}", "settings.json");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, needsHeal);
                    var t0 = Stopwatch.GetTimestamp();
                    using var running = columns[c].Subject.Start(path);
                    var seen = observer.WaitForEntry(path, t0, Exposure.MissAfter)
                        ?? throw new InvalidOperationException($"{columns[c].Label}: no heal: {running.Errors()}");
                    if (i > 0)
                    {
                        start[c].Add(Stats.Ms(t0, seen));
                        _ = running.WaitAtRest(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), cpu: true);
                        memory[c].Add(Sample(running));
                    }
                }
            }

            Console.Error.WriteLine($"side by side: at rest, {idleSeconds} s, all running at once");
            var resting = columns.Select((c, i) => Rest(c.Subject, Path.Combine(root, $"{i}-idle", "settings.json"), healthy, observer)).ToList();
            var first = resting.Select(Sample).ToList();
            atRest?.Invoke();
            Thread.Sleep(TimeSpan.FromSeconds(idleSeconds));
            var last = resting.Select(Sample).ToList();
            resting.ForEach(r => r.Dispose());

            string Row(string metric, Func<int, string> cell) =>
                $"| {metric} | {string.Join(" | ", Enumerable.Range(0, columns.Count).Select(cell))} |";
            return new StringBuilder()
                .AppendLine($"| metric (AOT binary, shipped defaults) | {string.Join(" | ", columns.Select(c => c.Label))} |")
                .AppendLine($"| --- |{string.Concat(columns.Select(_ => " ---: |"))}")
                .AppendLine(Row($"start → healed, median of {runs} (ms)", i => $"{Stats.Median(start[i]):0.0}"))
                .AppendLine(Row($"RSS after start, median / highest of {runs} (MiB)", i => $"{Stats.Median(memory[i].Select(m => m.Rss)):0.00} / {memory[i].Max(m => m.Rss):0.00}"))
                .AppendLine(Row("of which anonymous / file-backed, medians (MiB)", i => $"{Stats.Median(memory[i].Select(m => m.Anon)):0.00} / {Stats.Median(memory[i].Select(m => m.Rss - m.Anon)):0.00}"))
                .AppendLine(Row($"peak (VmHWM) by then, median / highest of {runs} (MiB)", i => $"{Stats.Median(memory[i].Select(m => m.Hwm)):0.00} / {memory[i].Max(m => m.Hwm):0.00}"))
                .AppendLine(Row($"RSS / peak after {idleSeconds} s idle (MiB)", i => $"{last[i].Rss:0.00} / {last[i].Hwm:0.00}"))
                .AppendLine(Row("threads after start / after idle", i => $"{first[i].Threads} / {last[i].Threads}"))
                .AppendLine(Row("idle CPU (ms per minute)", i => $"{(last[i].SchedNs - first[i].SchedNs) / 1e6 * 60 / idleSeconds:0.0}"))
                .AppendLine(Row("binary (bytes)", i => $"{new FileInfo(columns[i].Binary).Length}"))
                .ToString();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static RunningSubject Rest(GuardianSubject subject, string path, byte[] healthy, Observer observer)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, healthy);
        var running = subject.Start(path);
        _ = observer.WaitForEntry(path, Stopwatch.GetTimestamp(), Exposure.MissAfter);
        _ = running.WaitAtRest(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), cpu: true);
        return running;
    }

    private static (double Rss, double Hwm, double Anon, int Threads, long SchedNs) Sample(RunningSubject running)
    {
        var memory = ProcTree.Memory(running.Pid);
        return (memory.RssMiB, memory.HwmMiB, AnonymousMiB(running.Pid), Directory.GetDirectories($"/proc/{running.Pid}/task").Length, ProcTree.SchedNs(running.Pid));
    }

    /// <summary>
    /// Anonymous memory (heap, stacks, rehydrated runtime data): the part that is the process's own. The rest of RSS is
    /// the binary's pages from the page cache, which every guardian started from the same file shares.
    /// </summary>
    private static double AnonymousMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/smaps_rollup").First(l => l.StartsWith("Anonymous:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }
}
