using System.Globalization;
using System.Text;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>
/// The printed result: the main table (metric | guardian | baseline | ratio | target | met?) with the exposure rows
/// first, a notes paragraph, the guardian's own AbsentMs beside the harness's measurement, and the physical floor.
/// Targets are issue 8's.
/// </summary>
internal sealed class Report(HarnessOptions options, SubjectResult g, SubjectResult b, FloorResult floor, int fileBytes, double pollMicros, TimeSpan elapsed)
{
    public List<string[]> Rows { get; } = [];

    public string Render()
    {
        var sb = new StringBuilder();
        MainTable();
        AppendTable(sb, ["metric", "guardian", "baseline", "ratio", "target", "met?"], Rows, "| --- | ---: | ---: | ---: | ---: | :---: |");
        sb.AppendLine().AppendLine(Notes()).AppendLine();
        AppendTable(sb, ["write", "runs with a heal line", "harness: absent p50 / p99 / worst (ms)", "guardian AbsentMs p50 / p99 / worst (ms)",
            "AbsentMs − harness, per run, p50 / p99 (ms)", "evicting file's mtime − start of the write, p50 / min (ms)", "guardian DurationMs p50 / p99"],
            [SreRow(WriteKind.InPlace), SreRow(WriteKind.RenameReplace)], "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        sb.AppendLine();
        AppendTable(sb, ["physical floor, same directory", "p50 (ms)", "p99 (ms)"], FloorRows(), "| --- | ---: | ---: |");
        return sb.ToString();
    }

    private void MainTable()
    {
        Rows.Clear();
        var (gIn, bIn) = (Absent(g, WriteKind.InPlace), Absent(b, WriteKind.InPlace));
        var (gRe, bRe) = (Absent(g, WriteKind.RenameReplace), Absent(b, WriteKind.RenameReplace));
        Row($"absent after an in-place evicting write, p50 of {gIn.Count} (ms)", gIn.P50, bIn.P50, "≤ 3", v => v <= 3);
        Row("absent after an in-place evicting write, p99 (ms)", gIn.P99, bIn.P99, "≤ 10", v => v <= 10);
        Row("absent after an in-place evicting write, worst (ms)", gIn.Max, bIn.Max, "", null);
        Row($"absent after an evicting rename-replace, p50 of {gRe.Count} (ms)", gRe.P50, bRe.P50, "≤ 3", v => v <= 3);
        Row("absent after an evicting rename-replace, p99 (ms)", gRe.P99, bRe.P99, "≤ 10", v => v <= 10);
        Row("absent after an evicting rename-replace, worst (ms)", gRe.Max, bRe.Max, "", null);
        if (options.ReaderRuns > 0)
        {
            var (gInR, bInR) = (Absent(g, WriteKind.InPlace, reader: true), Absent(b, WriteKind.InPlace, reader: true));
            var (gReR, bReR) = (Absent(g, WriteKind.RenameReplace, reader: true), Absent(b, WriteKind.RenameReplace, reader: true));
            Row($"reader holding the file: absent after an in-place evicting write, p50 of {gInR.Count} (ms)", gInR.P50, bInR.P50, "≤ 3", v => v <= 3);
            Row("reader holding the file: absent after an in-place evicting write, p99 (ms)", gInR.P99, bInR.P99, "≤ 10", v => v <= 10);
            Row("reader holding the file: absent after an in-place evicting write, worst (ms)", gInR.Max, bInR.Max, "", null);
            Row($"reader holding the file: absent after an evicting rename-replace, p50 of {gReR.Count} (ms)", gReR.P50, bReR.P50, "≤ 3", v => v <= 3);
            Row("reader holding the file: absent after an evicting rename-replace, p99 (ms)", gReR.P99, bReR.P99, "≤ 10", v => v <= 10);
            Row("reader holding the file: absent after an evicting rename-replace, worst (ms)", gReR.Max, bReR.Max, "", null);
        }


        var (gShare, bShare) = (BurstShare(g), BurstShare(b));
        Rows.Add([$"burst ({options.Bursts} × {Burst.Merges} merges in 1.5 s, every {Burst.EvictEvery}th evicting): heartbeat reads missing the key (% of {g.Bursts.Sum(r => r.HeartbeatReads)} / {b.Bursts.Sum(r => r.HeartbeatReads)})",
            F(gShare), F(bShare), Ratio(gShare, bShare), "< 1 and ≤ ⅒ of baseline", Met(gShare, v => v < 1 && v <= bShare / 10)]);
        // The headline counts every read without the key, torn ones included; this row leaves out the reads that hit a
        // merge mid-write (the writer's own window, the same for any subject), which is the part a subject controls.
        var (gParsed, bParsed) = (BurstShare(g, parseableOnly: true), BurstShare(b, parseableOnly: true));
        Rows.Add(["burst: of those, reads that parsed and lacked the key (%)", F(gParsed), F(bParsed), Ratio(gParsed, bParsed), "–", "–"]);
        Row("burst: worst absent stretch (ms)", Worst(g.Bursts, r => r.WorstStretchMs), Worst(b.Bursts, r => r.WorstStretchMs), "", null);

        var (gk, bk) = (g.KeepStorm, b.KeepStorm);
        Row($"keep-storm ({options.StormWrites} writes keeping the entry): writes by the subject, during + after", Writes(gk), Writes(bk), "0", v => v == 0);
        Row("keep-storm: CPU over the storm and its settling (s)", gk?.CpuSeconds ?? double.NaN, bk?.CpuSeconds ?? double.NaN, "≤ 0.3", v => v <= 0.3);
        Rows.Add(["keep-storm: time to settle after the last write (s)", Settle(gk), Settle(bk), SettleRatio(gk, bk), "–", "–"]);

        var (ge, be) = (g.EvictStorm, b.EvictStorm);
        Row($"evict-storm ({options.StormWrites} evicting writes): entry back after the last write (ms)", ge?.RestoredMs ?? double.NaN, be?.RestoredMs ?? double.NaN, "≤ 10", v => v <= 10);
        Row("evict-storm: CPU over the storm and its settling (s)", ge?.CpuSeconds ?? double.NaN, be?.CpuSeconds ?? double.NaN, "≤ 1", v => v <= 1);
        Rows.Add(["evict-storm: FightingAnotherWriter logged", ge is null ? "n/a" : ge.FightingLogged > 0 ? $"yes ({ge.FightingLogged})" : "no", "–", "–", "yes",
            ge is null ? "n/a" : ge.FightingLogged > 0 ? "yes" : "**no**"]);
        Rows.Add(["evict-storm: writes by the subject, during / after the storm", WritesSplit(ge), WritesSplit(be), "–", "–", "–"]);
        Rows.Add(["evict-storm: time to settle after the last write (s)", Settle(ge), Settle(be), SettleRatio(ge, be), "–", "–"]);

        Row($"start → healed, median of {g.StartMs.Count} (ms)", Stats.Median(g.StartMs), Stats.Median(b.StartMs), "≤ 50", v => v <= 50);
        Row($"idle CPU (ms per minute over {g.Idle?.Seconds ?? 0:0} s, schedstat)", g.Idle?.CpuMsPerMinute ?? double.NaN, b.Idle?.CpuMsPerMinute ?? double.NaN, "≤ 10", v => v <= 10);
        Row("RSS after start (MiB)", g.Idle?.RssAfterStartMiB ?? double.NaN, b.Idle?.RssAfterStartMiB ?? double.NaN, "≤ 11", v => v <= 11);
        Row("RSS after the storms (MiB)", AfterStorms(g), AfterStorms(b), "≤ 12", v => v <= 12);
        Row("peak RSS, VmHWM over the idle and storm runs (MiB)", Peak(g), Peak(b), "≤ 13", v => v <= 13);
        Row("heal of a 64 KB file that needs it (µs)", g.Heal64KbMicros, b.Heal64KbMicros, "≤ 200", v => v <= 200);
    }

    private string Notes()
    {
        int Misses(SubjectResult r, WriteKind k) => r.Exposure.Count(e => e.Kind == k && e.Miss);
        int ReaderMisses(SubjectResult r) => r.ExposureReader.Count(e => e.Miss);
        string Relapses(SubjectResult r) => $"{r.Exposure.Count(e => e.Relapses > 0)} runs ({r.Exposure.Sum(e => e.Relapses)} relapses)";
        var gGood = Summary.Of(g.Exposure.Where(e => !e.Miss).Select(e => e.BackForGoodMs));
        var gTorn = g.Bursts.Sum(r => r.HeartbeatTorn);
        var bTorn = b.Bursts.Sum(r => r.HeartbeatTorn);
        var evictions = Summary.Of(g.Bursts.SelectMany(r => r.EvictionRestoreMs));
        var bEvictions = Summary.Of(b.Bursts.SelectMany(r => r.EvictionRestoreMs));
        var mergeWrites = Summary.Of(g.Bursts.Concat(b.Bursts).SelectMany(r => r.MergeWriteMs));
        var readerNote = options.ReaderRuns == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"With a reader holding the file (opened before each evicting write, on the file that write leaves at the path, and closed once the subject is at rest after its heal), N = {options.ReaderRuns} of each kind; "
            + $"misses guardian {ReaderMisses(g)}, baseline {ReaderMisses(b)}. ");
        return string.Create(CultureInfo.InvariantCulture,
            $"Notes: guardian at its shipped defaults (only `Guardian:SettingsPath` and the platform-agent gate are set). "
            + $"ratio = guardian / baseline (below 1: the guardian is smaller or faster); percentiles are nearest-rank. "
            + $"Settings file {fileBytes} bytes. The observer polls the file (open, read, close, parse as the heartbeat does) every {F(pollMicros)} µs on average, "
            + $"independent of inotify; a time is taken just after the read that first finds the key, so it may be late by up to one poll. "
            + $"Absent time: N = {options.Runs} evicting writes of each kind per subject, from just before the open(O_TRUNC) or the rename to that read; "
            + $"misses (no heal within {Exposure.MissAfter.TotalSeconds:0} s) in place / rename: guardian {Misses(g, WriteKind.InPlace)} / {Misses(g, WriteKind.RenameReplace)}, "
            + $"baseline {Misses(b, WriteKind.InPlace)} / {Misses(b, WriteKind.RenameReplace)}. "
            + $"{readerNote}"
            + $"Relapses (the entry seen, then gone again before it stayed {Exposure.Hold.TotalMilliseconds:0} ms): guardian {Relapses(g)}, baseline {Relapses(b)}; "
            + $"guardian absent until back for good, p50 / p99 / worst {F(gGood.P50)} / {F(gGood.P99)} / {F(gGood.Max)} ms. "
            + $"Burst: the observer beside the heartbeat polled every {F(Stats.Median(g.Bursts.Concat(b.Bursts).Select(r => r.ObserverPollMicros)))} µs (median over bursts); heartbeat reads that could not parse (a merge mid-write, which no subject can prevent) guardian {gTorn}, baseline {bTorn}; "
            + $"a merge's own open(O_TRUNC) → end of write, p50 / p99 / worst {Three(mergeWrites)} ms; "
            + $"entry back after each evicting merge, p50 / worst: guardian {F(evictions.P50)} / {F(evictions.Max)} ms, baseline {F(bEvictions.P50)} / {F(bEvictions.Max)} ms; "
            + $"subject writes per burst: guardian {F(Stats.Median(g.Bursts.Select(r => (double)r.SubjectWrites)))}, baseline {F(Stats.Median(b.Bursts.Select(r => (double)r.SubjectWrites)))} (median); "
            + $"plugin entries lost to a subject's overwrite: guardian {g.Bursts.Sum(r => r.LostUpdates)}, baseline {b.Bursts.Sum(r => r.LostUpdates)}. "
            + $"Storms: {options.StormWrites} back-to-back open(O_TRUNC)+write+close, {StormTime(g)} s / {StormTime(b)} s; settling (a second without a heal line, "
            + $"a CPU tick or a child process) is capped at {options.StormCapSeconds} s, and a subject still busy then is measured as it is. "
            + $"CPU and memory are summed over each subject's process tree (baseline: {b.Idle?.Processes ?? 0} processes at rest). "
            + $"Idle CPU from utime+stime (10 ms resolution): guardian {F(g.Idle?.TicksMsPerMinute ?? double.NaN)}, baseline {F(b.Idle?.TicksMsPerMinute ?? double.NaN)} ms/min. "
            + $"The baseline's 64 KB heal is one jq process (median of 21), the guardian's the in-process BenchmarkDotNet mean. "
            + $"This run took {elapsed.TotalMinutes:0.0} min.");
    }

    /// <summary>Item 5: what the guardian says (its Healed AbsentMs) beside what the harness measured, for the same runs.</summary>
    private string[] SreRow(WriteKind kind)
    {
        var runs = g.Exposure.Where(e => e.Kind == kind && !e.Miss && e.GuardianAbsentMs is not null).ToList();
        var harness = Summary.Of(runs.Select(e => e.AbsentMs));
        var own = Summary.Of(runs.Select(e => e.GuardianAbsentMs!.Value));
        var gap = Summary.Of(runs.Select(e => e.GuardianAbsentMs!.Value - e.AbsentMs));
        var lag = Summary.Of(runs.Select(e => e.MtimeLagMs));
        var duration = Summary.Of(runs.Where(e => e.GuardianDurationMs is not null).Select(e => e.GuardianDurationMs!.Value));
        var minLag = runs.Count == 0 ? double.NaN : runs.Min(e => e.MtimeLagMs);
        return [kind == WriteKind.InPlace ? "in place" : "rename-replace", runs.Count.ToString(CultureInfo.InvariantCulture),
            Three(harness), Three(own), $"{F(gap.P50)} / {F(gap.P99)}", $"{F(lag.P50)} / {F(minLag)}", $"{F(duration.P50)} / {F(duration.P99)}"];
    }

    private List<string[]> FloorRows()
    {
        var steps = new[]
        {
            ($"inotify delivery: write → read(2) of the IN_MODIFY event returns (from the end of the write: p50 {F(Summary.Of(floor.DeliveryFromEndMs).P50)})", Summary.Of(floor.DeliveryMs)),
            ($"one read of the file (open, read, close; {fileBytes} bytes)", Summary.Of(floor.ReadMs)),
            ("one durable write (temp in the same directory, write, fsync, rename)", Summary.Of(floor.DurableWriteMs)),
        };
        var rows = steps.Select(s => new[] { s.Item1, F(s.Item2.P50), F(s.Item2.P99) }).ToList();
        rows.Add(["**floor: sum of the three**", F(steps.Sum(s => s.Item2.P50)), F(steps.Sum(s => s.Item2.P99))]);
        var own = Summary.Of(g.Exposure.Where(e => e.Kind == WriteKind.InPlace && !e.Miss).Select(e => e.WriteMs));
        rows.Add(["in place only: the evicting write itself, open(O_TRUNC) → write returned (guardian's runs)", F(own.P50), F(own.P99)]);
        var dirSync = Summary.Of(floor.DirectoryFsyncMs);
        rows.Add(["not in the floor: directory fsync after the rename (the guardian does it once the entry is visible, so it is in neither absent time)", F(dirSync.P50), F(dirSync.P99)]);
        var (gIn, gRe) = (Absent(g, WriteKind.InPlace), Absent(g, WriteKind.RenameReplace));
        rows.Add(["guardian absent time, in place / rename-replace (from the table above)", $"{F(gIn.P50)} / {F(gRe.P50)}", $"{F(gIn.P99)} / {F(gRe.P99)}"]);
        return rows;
    }

    private static Summary Absent(SubjectResult r, WriteKind kind, bool reader = false) =>
        Summary.Of((reader ? r.ExposureReader : r.Exposure).Where(e => e.Kind == kind && !e.Miss).Select(e => e.AbsentMs));

    private static double BurstShare(SubjectResult r, bool parseableOnly = false)
    {
        var reads = r.Bursts.Sum(x => x.HeartbeatReads);
        var missing = r.Bursts.Sum(x => parseableOnly ? x.HeartbeatMissing - x.HeartbeatTorn : x.HeartbeatMissing);
        return reads == 0 ? double.NaN : 100.0 * missing / reads;
    }

    private static double Worst<T>(List<T> items, Func<T, double> value) => items.Count == 0 ? double.NaN : items.Max(value);

    private static double Writes(StormRun? s) => s is null ? double.NaN : s.WritesDuring + s.WritesAfter;

    private static string WritesSplit(StormRun? s) => s is null ? "n/a" : $"{s.WritesDuring} / {s.WritesAfter}";

    private string Settle(StormRun? s) => s is null ? "n/a" : s.Settled ? F(s.SettleSeconds) : $"> {options.StormCapSeconds} (cap)";

    /// <summary>No ratio against a subject that had not settled at the cap: its time is only a lower bound.</summary>
    private static string SettleRatio(StormRun? g, StormRun? b) =>
        g is { Settled: true } && b is { Settled: true } ? Ratio(g.SettleSeconds, b.SettleSeconds) : "–";

    private static string StormTime(SubjectResult r) => F(r.KeepStorm?.StormSeconds ?? double.NaN) + " + " + F(r.EvictStorm?.StormSeconds ?? double.NaN);

    private static double AfterStorms(SubjectResult r) =>
        r.KeepStorm is null || r.EvictStorm is null ? double.NaN : Math.Max(r.KeepStorm.RssAfterMiB, r.EvictStorm.RssAfterMiB);

    private static double Peak(SubjectResult r) =>
        new[] { r.Idle?.HwmMiB, r.KeepStorm?.HwmMiB, r.EvictStorm?.HwmMiB }.Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(double.NaN).Max();

    private void Row(string metric, double guardian, double baseline, string target, Func<double, bool>? met) =>
        Rows.Add([metric, F(guardian), F(baseline), Ratio(guardian, baseline), target == "" ? "–" : target, met is null ? "–" : Met(guardian, met)]);

    private static string Met(double value, Func<double, bool> met) => double.IsNaN(value) ? "n/a" : met(value) ? "yes" : "**no**";

    private static string Ratio(double guardian, double baseline) =>
        double.IsNaN(guardian) || double.IsNaN(baseline) || baseline == 0 ? "–" : (guardian / baseline).ToString("0.00", CultureInfo.InvariantCulture);

    private static string Three(Summary s) => $"{F(s.P50)} / {F(s.P99)} / {F(s.Max)}";

    private static void AppendTable(StringBuilder sb, string[] header, List<string[]> rows, string rule)
    {
        sb.AppendLine("| " + string.Join(" | ", header) + " |").AppendLine(rule);
        foreach (var row in rows)
        {
            sb.AppendLine("| " + string.Join(" | ", row) + " |");
        }
    }

    /// <summary>Three significant digits or so; whole numbers (counts, a CPU time of 0) without decimals.</summary>
    public static string F(double value) => double.IsNaN(value) ? "n/a"
        : value == Math.Round(value) ? value.ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 100 ? value.ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 10 ? value.ToString("0.0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 1 ? value.ToString("0.00", CultureInfo.InvariantCulture)
        : value.ToString("0.000", CultureInfo.InvariantCulture);
}
