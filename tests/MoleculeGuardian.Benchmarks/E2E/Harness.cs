using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MoleculeGuardian.Benchmarks.E2E;

internal sealed class HarnessOptions
{
    public required string Binary { get; init; }

    public required string BaselineScript { get; init; }

    public int StartRuns { get; init; } = 21;

    public int ReassertRuns { get; init; } = 100;

    public int StormWrites { get; init; } = 1500;

    public int IdleSeconds { get; init; } = 60;

    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(10);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(2);

    public int FileBytes { get; init; } = 4096;

    public string? WorkDir { get; init; }

    public string? BdnResults { get; init; }

    public string? JsonOut { get; init; }

    /// <summary>"guardian" or "baseline" to measure only one (for development); null for both.</summary>
    public string? Only { get; init; }
}

/// <summary>Measurements of one subject.</summary>
internal sealed class SubjectResult
{
    public List<double> StartMs { get; } = [];

    public List<double> RenameMs { get; } = [];

    public List<double> InPlaceMs { get; } = [];

    public int Misses { get; set; }

    /// <summary>The guardian's own "DurationMs" of the heals during the re-assert runs (read, transform, durable write).</summary>
    public List<double> ReassertHealDurationsMs { get; } = [];

    public double StormSeconds { get; set; }

    public double StormCpuSeconds { get; set; }

    public int StormHealsDuring { get; set; }

    public int StormHealsTotal { get; set; }

    public double SettleSeconds { get; set; }

    public double IdleCpuMsPerMinute { get; set; }

    public double IdleSecondsMeasured { get; set; }

    /// <summary>The same from utime+stime of /proc/&lt;pid&gt;/stat, whose resolution is 10 ms.</summary>
    public double IdleTicksMsPerMinute { get; set; }

    public double RssAfterStartMiB { get; set; }

    public double RssAfterStormMiB { get; set; }

    public double HwmMiB { get; set; }

    public int ProcessesAtIdle { get; set; }

    public double Heal64KbMicros { get; set; } = double.NaN;

    public double Heal64KbAllocKb { get; set; } = double.NaN;
}

/// <summary>
/// Runs the published guardian and the inotifywait + jq baseline as processes against temp directories and measures
/// them the same way. "The file holds the entry" is detected by polling: every ~0.1-0.2 ms the harness reads the file
/// and looks for the protected key (clock_nanosleep of 50 µs between reads, timer slack 1 ns). Polling, not a FileSystemWatcher, so the
/// observer is independent of inotify (the mechanism under test), cannot miss or coalesce an event, and its error is
/// bounded by the poll period, which is measured and printed.
/// </summary>
internal sealed class Harness(HarnessOptions options)
{
    private static readonly byte[] ProtectedKey = "\"molecule-platform\""u8.ToArray();
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Random _random = new(20_251_123);
    private long _polls;
    private long _pollTicks;
    private byte[] _needsHeal = [];

    public int Run()
    {
        var root = Path.Combine(options.WorkDir ?? Path.GetTempPath(), $"guardian-e2e-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        Native.MinimizeTimerSlack();
        try
        {
            _needsHeal = SettingsGenerator.Generate(options.FileBytes).NeedsHeal;
            Console.Error.WriteLine($"e2e: settings file of {_needsHeal.Length} bytes in {root}");
            var guardian = options.Only is null or "guardian" ? Measure(new GuardianSubject(options.Binary), Path.Combine(root, "guardian")) : new SubjectResult();
            var baseline = options.Only is null or "baseline" ? Measure(new BaselineSubject(options.BaselineScript), Path.Combine(root, "baseline")) : new SubjectResult();
            ReadBdn(guardian);
            MeasureJq64Kb(baseline, root);
            Print(guardian, baseline);
            if (options.JsonOut is { } path)
            {
                File.WriteAllText(path, JsonSerializer.Serialize(new { guardian, baseline }, JsonOptions));
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private SubjectResult Measure(Subject subject, string dir)
    {
        var result = new SubjectResult();
        Directory.CreateDirectory(dir);
        Console.Error.WriteLine($"e2e [{subject.Name}]: start to healed, {options.StartRuns} runs (+1 warm-up)");
        for (var i = 0; i <= options.StartRuns; i++)
        {
            var ms = StartToHealed(subject, Path.Combine(dir, $"start-{i}"));
            if (i > 0)
            {
                result.StartMs.Add(ms);
            }
        }

        Console.Error.WriteLine($"e2e [{subject.Name}]: re-assert, {options.ReassertRuns} rename-replaces and {options.ReassertRuns} in-place writes, Debounce {options.Debounce.TotalMilliseconds} ms");
        Reassert(subject, Path.Combine(dir, "reassert"), result);

        Console.Error.WriteLine($"e2e [{subject.Name}]: storm of {options.StormWrites} writes, then {options.IdleSeconds} s idle (default Debounce)");
        StormAndIdle(subject, Path.Combine(dir, "storm"), result);
        return result;
    }

    private double StartToHealed(Subject subject, string dir)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "settings.json");
        File.WriteAllBytes(path, _needsHeal);
        var t0 = Stopwatch.GetTimestamp();
        using var running = subject.Start(path, null);
        var ms = WaitForEntry(path, t0);
        if (double.IsNaN(ms))
        {
            throw new InvalidOperationException($"{subject.Name} did not heal within {Timeout}: {string.Join(" | ", running.Errors)}");
        }

        return ms;
    }

    private void Reassert(Subject subject, string dir, SubjectResult result)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "settings.json");
        var temp = Path.Combine(dir, "settings.json.tmp");
        File.WriteAllBytes(path, _needsHeal);
        using var running = subject.Start(path, options.Debounce);
        _ = WaitForEntry(path, Stopwatch.GetTimestamp());
        Thread.Sleep(1000);
        var startupHeals = running.HealDurationsMs.Count;

        for (var i = 0; i < options.ReassertRuns; i++)
        {
            // The runtime's self-heal way: a temp file, then os.replace (rename(2)).
            File.WriteAllBytes(temp, _needsHeal);
            File.Move(temp, path, overwrite: true);
            Record(result.RenameMs, WaitForEntry(path, Stopwatch.GetTimestamp()), result);
            Quiet();
        }

        for (var i = 0; i < options.ReassertRuns; i++)
        {
            // The plugin merges' way: open(O_TRUNC), write, close, in place.
            File.WriteAllBytes(path, _needsHeal);
            Record(result.InPlaceMs, WaitForEntry(path, Stopwatch.GetTimestamp()), result);
            Quiet();
        }

        result.ReassertHealDurationsMs.AddRange(running.HealDurationsMs.Skip(startupHeals));
    }

    private static void Record(List<double> into, double ms, SubjectResult result)
    {
        if (double.IsNaN(ms))
        {
            result.Misses++;
        }
        else
        {
            into.Add(ms);
        }
    }

    /// <summary>Lets the subject's reaction to its own write pass, with jitter so no timer phase-locks to the loop.</summary>
    private void Quiet() => Thread.Sleep(options.Debounce * 4 + TimeSpan.FromMilliseconds(40 + _random.Next(20)));

    private void StormAndIdle(Subject subject, string dir, SubjectResult result)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "settings.json");
        File.WriteAllBytes(path, _needsHeal);
        using var running = subject.Start(path, null);
        _ = WaitForEntry(path, Stopwatch.GetTimestamp());
        Thread.Sleep(2000);
        result.RssAfterStartMiB = ProcTree.Memory(running.Pid).RssMiB;

        var cpuBefore = ProcTree.CpuSeconds(running.Pid);
        var healsBefore = running.Heals.Count;
        var stormStart = Stopwatch.GetTimestamp();
        for (var i = 0; i < options.StormWrites; i++)
        {
            File.WriteAllBytes(path, _needsHeal);
        }

        var stormEnd = Stopwatch.GetTimestamp();
        result.StormSeconds = Stopwatch.GetElapsedTime(stormStart, stormEnd).TotalSeconds;
        result.SettleSeconds = Settle(running, path);
        result.StormCpuSeconds = ProcTree.CpuSeconds(running.Pid) - cpuBefore;
        var heals = running.Heals.Skip(healsBefore).ToList();
        result.StormHealsTotal = heals.Count;
        result.StormHealsDuring = heals.Count(t => t <= stormEnd);
        var memory = ProcTree.Memory(running.Pid);
        result.RssAfterStormMiB = memory.RssMiB;

        Thread.Sleep(2000);
        var idleStart = Stopwatch.GetTimestamp();
        var cpuIdle = ProcTree.CpuSeconds(running.Pid);
        var schedIdle = ProcTree.SchedNs(running.Pid);
        Thread.Sleep(TimeSpan.FromSeconds(options.IdleSeconds));
        var idleCpu = ProcTree.CpuSeconds(running.Pid) - cpuIdle;
        var idleSched = ProcTree.SchedNs(running.Pid) - schedIdle;
        result.IdleSecondsMeasured = Stopwatch.GetElapsedTime(idleStart).TotalSeconds;
        result.IdleCpuMsPerMinute = idleSched / 1e6 * 60 / result.IdleSecondsMeasured;
        result.IdleTicksMsPerMinute = idleCpu * 1000 * 60 / result.IdleSecondsMeasured;
        memory = ProcTree.Memory(running.Pid);
        result.HwmMiB = memory.HwmMiB;
        result.ProcessesAtIdle = memory.Processes;
    }

    /// <summary>Waits until the file holds the entry, no heal line came for a second and the CPU time stood still for a second.</summary>
    private double Settle(RunningSubject running, string path)
    {
        var start = Stopwatch.GetTimestamp();
        var lastCpu = -1.0;
        var stillSince = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < TimeSpan.FromMinutes(3))
        {
            Thread.Sleep(100);
            var cpu = ProcTree.CpuSeconds(running.Pid);
            var lastHeal = running.Heals.LastOrDefault();
            if (cpu != lastCpu || !Holds(path) || (lastHeal != 0 && Stopwatch.GetElapsedTime(lastHeal) < TimeSpan.FromSeconds(1)))
            {
                lastCpu = cpu;
                stillSince = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(stillSince) >= TimeSpan.FromSeconds(1))
            {
                return Stopwatch.GetElapsedTime(start).TotalSeconds - 1;
            }
        }

        throw new InvalidOperationException("the subject did not settle within 3 minutes after the storm");
    }

    /// <summary>Milliseconds from <paramref name="t0"/> until the file holds the protected key, NaN on timeout.</summary>
    private double WaitForEntry(string path, long t0)
    {
        var deadline = Timeout;
        var last = Stopwatch.GetTimestamp();
        while (true)
        {
            if (Holds(path))
            {
                return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }

            if (Stopwatch.GetElapsedTime(t0) > deadline)
            {
                return double.NaN;
            }

            Native.SleepMicroseconds(50);
            var now = Stopwatch.GetTimestamp();
            _polls++;
            _pollTicks += now - last;
            last = now;
        }
    }

    private readonly byte[] _buffer = new byte[4 * 1024 * 1024];

    /// <summary>One open + read + close into a reused buffer: a few µs, so the poll period stays near the sleep.</summary>
    private bool Holds(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path);
            var length = 0;
            int read;
            while (length < _buffer.Length && (read = RandomAccess.Read(handle, _buffer.AsSpan(length), length)) > 0)
            {
                length += read;
            }

            return _buffer.AsSpan(0, length).IndexOf(ProtectedKey) >= 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The in-process 64 KB heal from BenchmarkDotNet's run, when it was run first (run-benchmarks.sh does).</summary>
    private void ReadBdn(SubjectResult guardian)
    {
        if (options.BdnResults is not { } file || !File.Exists(file))
        {
            Console.Error.WriteLine("e2e: no BenchmarkDotNet results given (--bdn-results); the 64 KB heal row stays empty");
            return;
        }

        using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
        foreach (var row in doc.RootElement.EnumerateArray())
        {
            if (row.GetProperty("Benchmark").GetString() == nameof(HealBenchmarks) && row.GetProperty("SizeBytes").GetInt32() == 64 * 1024
                && row.GetProperty("State").GetString() == nameof(FileState.NeedsHeal))
            {
                guardian.Heal64KbMicros = row.GetProperty("MeanNs").GetDouble() / 1000;
                guardian.Heal64KbAllocKb = row.GetProperty("AllocatedBytes").GetDouble() / 1024;
            }
        }
    }

    /// <summary>The baseline's equivalent of one heal: one jq process on a 64 KB file (median of 21).</summary>
    private void MeasureJq64Kb(SubjectResult baseline, string root)
    {
        var input = Path.Combine(root, "jq-64k.json");
        File.WriteAllBytes(input, SettingsGenerator.Generate(64 * 1024).NeedsHeal);
        var times = new List<double>();
        for (var i = 0; i < 22; i++)
        {
            var info = new ProcessStartInfo("jq")
            {
                ArgumentList = { "--indent", "2", "--argjson", "e", "{\"command\":\"molecule-platform-mcp\",\"env\":{\"MOLECULE_MCP_MODE\":\"management\"}}",
                    "if .mcpServers[\"molecule-platform\"] == $e then empty else .mcpServers = ((.mcpServers // {}) + {\"molecule-platform\": $e}) end", input },
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            var t0 = Stopwatch.GetTimestamp();
            using var jq = Process.Start(info)!;
            jq.StandardOutput.ReadToEnd();
            jq.WaitForExit();
            if (i > 0)
            {
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds * 1000);
            }
        }

        baseline.Heal64KbMicros = Percentile(times, 50);
    }

    /// <summary>Nearest-rank percentile.</summary>
    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private void Print(SubjectResult g, SubjectResult b)
    {
        var debounceMs = options.Debounce.TotalMilliseconds;
        var allowedStormHeals = Math.Max(1, (int)Math.Ceiling(g.StormSeconds / options.MaxDelay.TotalSeconds));
        var rows = new List<string[]>
        {
            Row($"start → healed, median of {g.StartMs.Count} (ms)", Percentile(g.StartMs, 50), Percentile(b.StartMs, 50), "≤ 50", v => v <= 50),
            Row($"re-assert after rename-replace, p50 of {g.RenameMs.Count} (ms)", Percentile(g.RenameMs, 50), Percentile(b.RenameMs, 50), "", null),
            Row($"re-assert after rename-replace, p99 (ms)", Percentile(g.RenameMs, 99), Percentile(b.RenameMs, 99), $"≤ {debounceMs + 5:0}", v => v <= debounceMs + 5),
            Row($"re-assert after in-place write, p50 of {g.InPlaceMs.Count} (ms)", Percentile(g.InPlaceMs, 50), Percentile(b.InPlaceMs, 50), "", null),
            Row($"re-assert after in-place write, p99 (ms)", Percentile(g.InPlaceMs, 99), Percentile(b.InPlaceMs, 99), $"≤ {debounceMs + 5:0}", v => v <= debounceMs + 5),
            Row($"storm of {options.StormWrites} writes: CPU (s)", g.StormCpuSeconds, b.StormCpuSeconds, "≤ 0.3", v => v <= 0.3),
            Row($"storm: heals while it lasted ({g.StormSeconds:0.00} s / {b.StormSeconds:0.00} s)", g.StormHealsDuring, b.StormHealsDuring, $"≤ {allowedStormHeals}", v => v <= allowedStormHeals),
            Row("storm: heals in all, until settled", g.StormHealsTotal, b.StormHealsTotal, "", null),
            Row("storm: time to settle after the last write (s)", g.SettleSeconds, b.SettleSeconds, "", null),
            Row($"idle CPU (ms per minute, measured over {g.IdleSecondsMeasured:0} s, schedstat)", g.IdleCpuMsPerMinute, b.IdleCpuMsPerMinute, "≤ 10", v => v <= 10),
            Row("idle CPU, utime+stime (10 ms resolution)", g.IdleTicksMsPerMinute, b.IdleTicksMsPerMinute, "≤ 10", v => v <= 10),
            Row("RSS after start (MiB)", g.RssAfterStartMiB, b.RssAfterStartMiB, "≤ 12", v => v <= 12),
            Row("RSS after storm (MiB)", g.RssAfterStormMiB, b.RssAfterStormMiB, "≤ 12", v => v <= 12),
            Row("peak RSS, VmHWM (MiB)", g.HwmMiB, b.HwmMiB, "≤ 12", v => v <= 12),
            Row("heal of a 64 KB file that needs it (µs)", g.Heal64KbMicros, b.Heal64KbMicros, "≤ 200", v => v <= 200),
        };

        var sb = new StringBuilder();
        sb.AppendLine("| metric | guardian | baseline | ratio | target | met? |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | :---: |");
        foreach (var row in rows)
        {
            sb.AppendLine("| " + string.Join(" | ", row) + " |");
        }

        Console.WriteLine();
        Console.WriteLine(sb.ToString().TrimEnd());
        Console.WriteLine();
        Console.WriteLine($"Notes: ratio = guardian / baseline (below 1 means the guardian is smaller or faster). p99 is nearest-rank. "
            + $"Re-assert misses (no heal within {Timeout.TotalSeconds:0} s): guardian {g.Misses}, baseline {b.Misses}. "
            + $"Detection: polling the file every {PollPeriodMicros():0} µs on average. Settings file {_needsHeal.Length} bytes. "
            + $"Re-assert runs with Debounce {debounceMs:0} ms; storm and idle run with the defaults (Debounce 250 ms, MaxDelay 2 s). "
            + $"Baseline memory and CPU are summed over its process tree ({b.ProcessesAtIdle} processes at idle); "
            + "its 64 KB heal is one jq process (median of 21), the guardian's is the in-process BenchmarkDotNet mean. "
            + $"The guardian's own Healed DurationMs during the re-assert runs (read, heal, write, fsync, rename, directory fsync): "
            + $"p50 {Format(Percentile(g.ReassertHealDurationsMs, 50))} ms, p99 {Format(Percentile(g.ReassertHealDurationsMs, 99))} ms, max {Format(g.ReassertHealDurationsMs.DefaultIfEmpty(double.NaN).Max())} ms.");
    }

    private double PollPeriodMicros() => _polls == 0 ? double.NaN : _pollTicks * 1e6 / Stopwatch.Frequency / _polls;

    private static string[] Row(string metric, double guardian, double baseline, string target, Func<double, bool>? met) =>
    [
        metric,
        Format(guardian),
        Format(baseline),
        double.IsNaN(guardian) || double.IsNaN(baseline) || baseline == 0 ? "–" : (guardian / baseline).ToString("0.00", CultureInfo.InvariantCulture),
        target == "" ? "–" : target,
        met is null ? "–" : double.IsNaN(guardian) ? "n/a" : met(guardian) ? "yes" : "**no**",
    ];

    private static string Format(double value) => double.IsNaN(value) ? "n/a"
        : Math.Abs(value) >= 100 ? value.ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 10 ? value.ToString("0.0", CultureInfo.InvariantCulture)
        : value.ToString("0.00", CultureInfo.InvariantCulture);
}
