using System.Diagnostics;
using System.Text.Json.Nodes;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>
/// One boot burst (issue 8, item 2). <see cref="HeartbeatMissing"/>: heartbeat reads in the window (first merge to
/// 1 s after the last) that did not find the key; <see cref="HeartbeatTorn"/>: those of them that could not parse,
/// a merge mid-write, which no subject can prevent (<see cref="MergeWriteMs"/>: each merge's own open(O_TRUNC) to
/// the end of its write, while its file is empty). Stretches (ms) come from the fine observer (~0.1-0.2 ms) and from
/// the heartbeat. <see cref="EvictionRestoreMs"/>: from an evicting merge's open to the first read with the entry.
/// <see cref="LostUpdates"/>: plugin entries a merge wrote that a later read no longer found although no eviction had
/// dropped them, i.e. overwritten by the subject. <see cref="Heals"/> and <see cref="Events"/> are for evidence.
/// </summary>
internal sealed record BurstRun(int HeartbeatReads, int HeartbeatMissing, int HeartbeatTorn, double WindowMs, double AbsentShareOfTime,
    double WorstStretchMs, double WorstHeartbeatStretchMs, List<double> EvictionRestoreMs, int SubjectWrites, int LostUpdates,
    int NaturalEvictions, double LatestMergeMs, List<double> MergeWriteMs, double ObserverPollMicros, List<BurstHeal> Heals, Dictionary<int, int> Events);

/// <summary>A heal line during a burst: received <paramref name="AtMs"/> after the first merge, with the guardian's own numbers.</summary>
internal sealed record BurstHeal(double AtMs, double? DurationMs, double? AbsentMs);

/// <summary>
/// Plugin installs at boot: <see cref="Merges"/> merges, one every 50 ms, each as the Python runtime does it (read,
/// parse as <c>{}</c> if that fails, <c>{**old, **fragment}</c> per top-level object, plain truncate-then-write of
/// <c>json.dumps(indent=2)+"\n"</c>); every <see cref="EvictEvery"/>th read a torn file, so it writes back only its
/// own entry. Meanwhile a heartbeat reads the file every 2 ms (jittered), as the concierge's does every 30 s.
/// </summary>
internal static class Burst
{
    public const int Merges = 30;
    public const int EvictEvery = 5;
    private const string PluginPrefix = "burst-plugin-";
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan HeartbeatPeriod = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan Tail = TimeSpan.FromSeconds(1);

    public static List<BurstRun> Measure(Subject subject, string dir, byte[] healthy, int bursts, TimeSpan cap, Random random)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "settings.json");
        File.WriteAllBytes(path, healthy);
        using var running = subject.Start(path);
        var result = new List<BurstRun>();
        for (var b = 0; b < bursts; b++)
        {
            // A healthy file to start from, swapped in whole so nobody sees it torn; both subjects react to it.
            File.WriteAllBytes(path + ".tmp", healthy);
            Native.Rename(path + ".tmp", path);
            if (!running.WaitAtRest(TimeSpan.FromMilliseconds(500), cap, TimeSpan.FromMilliseconds(20), cpu: true))
            {
                Console.Error.WriteLine($"e2e [{subject.Name}]: still busy {cap.TotalSeconds:0} s after the previous burst; going on");
            }

            result.Add(Once(running, path, cap, random));
        }

        return result;
    }

    private static BurstRun Once(RunningSubject running, string path, TimeSpan cap, Random random)
    {
        var stop = 0;
        var heartbeat = new List<(long At, Sight Sight)>();
        var fine = new List<(long At, Sight Sight)>();
        var observer = new Observer();
        var threads = new[]
        {
            new Thread(() => Heartbeat(path, heartbeat, new Random(random.Next()), () => Volatile.Read(ref stop) != 0)) { Name = "heartbeat" },
            new Thread(() =>
            {
                Native.MinimizeTimerSlack();
                fine.AddRange(observer.Record(path, () => Volatile.Read(ref stop) != 0));
            }) { Name = "observer" },
        };
        foreach (var thread in threads)
        {
            thread.Start();
        }

        Thread.Sleep(100); // lead-in: both readers running before the first merge
        var healsBefore = running.HealCount;
        var eventsBefore = running.EventCounts();
        var merger = new Merger();
        var first = Stopwatch.GetTimestamp();
        var evictions = new List<Native.WriteTimes>();
        var writes = new List<double>();
        Native.WriteTimes last = default;
        var latest = 0.0;
        for (var i = 1; i <= Merges; i++)
        {
            Native.SleepUntil(first + (long)((i - 1) * Spacing.TotalSeconds * Stopwatch.Frequency));
            latest = Math.Max(latest, Stats.Ms(first, Stopwatch.GetTimestamp()) - (i - 1) * Spacing.TotalMilliseconds);
            last = merger.Merge(path, i, evicting: i % EvictEvery == 0);
            writes.Add(Stats.Ms(last.Start, last.Written));
            if (i % EvictEvery == 0)
            {
                evictions.Add(last);
            }
        }

        var end = last.End + (long)(Tail.TotalSeconds * Stopwatch.Frequency);
        Native.SleepUntil(end);
        Volatile.Write(ref stop, 1);
        foreach (var thread in threads)
        {
            thread.Join();
        }

        _ = running.WaitAtRest(TimeSpan.FromMilliseconds(500), cap, TimeSpan.FromMilliseconds(20), cpu: true);
        merger.CheckFinal(path);

        var window = heartbeat.Where(r => r.At >= first && r.At <= end).ToList();
        var samples = fine.Where(r => r.At >= first && r.At <= end).ToList();
        var stretches = Stretches(samples);
        return new BurstRun(
            window.Count,
            window.Count(r => r.Sight != Sight.Present),
            window.Count(r => r.Sight == Sight.Torn),
            Stats.Ms(first, end),
            stretches.Sum() / Stats.Ms(first, end),
            stretches.DefaultIfEmpty(0).Max(),
            Stretches(window).DefaultIfEmpty(0).Max(),
            [.. evictions.Select(e => samples.FirstOrDefault(r => r.At > e.Written && r.Sight == Sight.Present) is { At: > 0 } back ? Stats.Ms(e.Start, back.At) : double.NaN)],
            running.HealCount - healsBefore,
            merger.LostUpdates,
            merger.NaturalEvictions,
            latest,
            writes,
            observer.PollPeriodMicros,
            [.. running.HealsSince(healsBefore).Select(h => new BurstHeal(Stats.Ms(first, h.At), h.DurationMs, h.AbsentMs))],
            running.EventsSince(eventsBefore));
    }

    /// <summary>
    /// Reads every 2 ms on average, each interval drawn from 1.5-2.5 ms: at exactly 2 ms it would phase-lock to the
    /// 50 ms merges and hit (or miss) every merge's truncate-to-write window alike. A late read does not make the
    /// next ones bunch up.
    /// </summary>
    private static void Heartbeat(string path, List<(long, Sight)> reads, Random random, Func<bool> stop)
    {
        Native.MinimizeTimerSlack();
        var observer = new Observer();
        var period = HeartbeatPeriod.TotalSeconds * Stopwatch.Frequency;
        var next = Stopwatch.GetTimestamp();
        while (!stop())
        {
            var sight = observer.Look(path);
            reads.Add((Stopwatch.GetTimestamp(), sight));
            next = Math.Max(next + (long)(period * (0.75 + random.NextDouble() / 2)), Stopwatch.GetTimestamp());
            Native.SleepUntil(next);
        }
    }

    /// <summary>Lengths (ms) of the runs of reads without the entry, each from its first such read to the read that found it again.</summary>
    private static List<double> Stretches(List<(long At, Sight Sight)> reads)
    {
        var result = new List<double>();
        long? since = null;
        foreach (var (at, sight) in reads)
        {
            if (sight != Sight.Present)
            {
                since ??= at;
            }
            else if (since is { } s)
            {
                result.Add(Stats.Ms(s, at));
                since = null;
            }
        }

        if (since is { } open && reads.Count > 0)
        {
            result.Add(Stats.Ms(open, reads[^1].At));
        }

        return result;
    }

    /// <summary>The simulated plugin installer, and its bookkeeping of which of its entries should still be there.</summary>
    private sealed class Merger
    {
        private readonly byte[] _buffer = new byte[4 * 1024 * 1024];
        private HashSet<string> _expected = [];

        public int LostUpdates { get; private set; }

        public int NaturalEvictions { get; private set; }

        public Native.WriteTimes Merge(string path, int n, bool evicting)
        {
            var length = Native.ReadFile(path, _buffer);
            var document = length > 0 ? ReadOrEmpty(_buffer.AsMemory(0, length)) : null;

            if (document is not null)
            {
                Check(document);
            }
            else if (!evicting)
            {
                NaturalEvictions++; // a torn read for real: the merge writes back only its own entry, as Python would
            }

            if (evicting || document is null)
            {
                document = [];
                _expected = [];
            }

            // {**old, **fragment} for the one top-level key of the fragment.
            if (document["mcpServers"] is not JsonObject servers)
            {
                servers = [];
                document["mcpServers"] = servers;
            }

            var name = PluginPrefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            servers[name] = new JsonObject { ["command"] = "npx", ["args"] = new JsonArray("-y", $"@molecule-ai/{name}@1.0.0") };
            _expected.Add(name);
            return Native.WriteInPlace(path, SettingsJson.Serialize(document));
        }

        /// <summary>After the burst has settled: whatever the last merges wrote must still be there.</summary>
        public void CheckFinal(string path)
        {
            var length = Native.ReadFile(path, _buffer);
            if (length > 0 && ReadOrEmpty(_buffer.AsMemory(0, length)) is { } document)
            {
                Check(document);
            }
        }

        /// <summary>As the runtime reads the file: the object, or nothing on any parse error.</summary>
        private static JsonObject? ReadOrEmpty(ReadOnlyMemory<byte> bytes)
        {
            try
            {
                return JsonNode.Parse(bytes.Span) as JsonObject;
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }

        private void Check(JsonObject document)
        {
            var present = (document["mcpServers"] as JsonObject)?.Select(p => p.Key).Where(k => k.StartsWith(PluginPrefix, StringComparison.Ordinal)).ToHashSet() ?? [];
            LostUpdates += _expected.Count(name => !present.Contains(name));
            _expected = present;
        }
    }
}
