using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MoleculeGuardian.Benchmarks.E2E;

internal sealed class HarnessOptions
{
    public required string Binary { get; init; }

    public required string BaselineScript { get; init; }

    public int StartRuns { get; init; } = 21;

    /// <summary>Evicting writes of each kind (in place, rename-replace) per subject.</summary>
    public int Runs { get; init; } = 200;

    /// <summary>The same again with a reader holding the file each write leaves (0: not measured).</summary>
    public int ReaderRuns { get; init; } = 200;

    public int Bursts { get; init; } = 5;

    public int StormWrites { get; init; } = 1500;

    /// <summary>How long a subject may take to settle after a storm or burst before it is measured as it is.</summary>
    public int StormCapSeconds { get; init; } = 60;

    public int IdleSeconds { get; init; } = 60;

    public int FloorRuns { get; init; } = 500;

    public int FileBytes { get; init; } = 4096;

    public string? WorkDir { get; init; }

    public string? BdnResults { get; init; }

    public string? JsonOut { get; init; }

    /// <summary>"guardian" or "baseline" to measure only one (for development); null for both.</summary>
    public string? Only { get; init; }
}

/// <summary>Everything measured of one subject, raw; <see cref="Report"/> turns it into the table.</summary>
internal sealed class SubjectResult
{
    public List<double> StartMs { get; } = [];

    public List<ExposureRun> Exposure { get; set; } = [];

    /// <summary>The absent-time runs with a reader holding the file.</summary>
    public List<ExposureRun> ExposureReader { get; set; } = [];

    /// <summary>The guardian's log events by id, from its start to the end of the absent-time runs.</summary>
    public Dictionary<int, int> ExposureEvents { get; set; } = [];

    public List<BurstRun> Bursts { get; set; } = [];

    public StormRun? KeepStorm { get; set; }

    public StormRun? EvictStorm { get; set; }

    public IdleRun? Idle { get; set; }

    public double Heal64KbMicros { get; set; } = double.NaN;

    public double Heal64KbAllocKb { get; set; } = double.NaN;
}

/// <summary>
/// Runs the published guardian (at its shipped defaults) and the inotifywait + jq baseline as processes against
/// temp directories and measures them the same way, one after the other, in one run: the absent time after an
/// evicting write, a boot burst of plugin merges under a 2 ms heartbeat, write storms, start, idle and memory; then
/// the physical floor of the same directory. Whether the file holds the entry is seen by an <see cref="Observer"/>
/// that polls the file every ~0.1-0.2 ms, independent of inotify.
/// </summary>
internal sealed class Harness(HarnessOptions options)
{
    private readonly Random _random = new(20_251_123);
    private readonly Observer _observer = new();

    public int Run()
    {
        var started = Stopwatch.GetTimestamp();
        var root = Path.Combine(options.WorkDir ?? Path.GetTempPath(), $"guardian-e2e-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        Native.MinimizeTimerSlack();
        try
        {
            var (needsHeal, healthy) = SettingsGenerator.Generate(options.FileBytes);
            Console.Error.WriteLine($"e2e: settings file of {needsHeal.Length} bytes in {root}");
            var guardian = options.Only is null or "guardian" ? Measure(new GuardianSubject(options.Binary), Path.Combine(root, "guardian"), needsHeal, healthy) : new SubjectResult();
            var baseline = options.Only is null or "baseline" ? Measure(new BaselineSubject(options.BaselineScript), Path.Combine(root, "baseline"), needsHeal, healthy) : new SubjectResult();
            Console.Error.WriteLine($"e2e: physical floor, {options.FloorRuns} runs of each step");
            var floor = Floor.Measure(Path.Combine(root, "floor"), needsHeal, options.FloorRuns, _random);
            ReadBdn(guardian);
            baseline.Heal64KbMicros = Jq64Kb(root);

            var elapsed = Stopwatch.GetElapsedTime(started);
            var report = new Report(options, guardian, baseline, floor, needsHeal.Length, _observer.PollPeriodMicros, elapsed);
            Console.WriteLine(report.Render());
            if (options.JsonOut is { } path)
            {
                var raw = new { options, fileBytes = needsHeal.Length, pollPeriodMicros = _observer.PollPeriodMicros, elapsedSeconds = elapsed.TotalSeconds, table = report.Rows, guardian, baseline, floor };
                File.WriteAllText(path, JsonSerializer.Serialize(raw, JsonOptions));
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private SubjectResult Measure(Subject subject, string dir, byte[] needsHeal, byte[] healthy)
    {
        var result = new SubjectResult();
        var cap = TimeSpan.FromSeconds(options.StormCapSeconds);
        Directory.CreateDirectory(dir);
        Log(subject, $"start to healed, {options.StartRuns} runs (+1 warm-up)");
        for (var i = 0; i <= options.StartRuns; i++)
        {
            var ms = StartToHealed(subject, Path.Combine(dir, $"start-{i}"), needsHeal);
            if (i > 0)
            {
                result.StartMs.Add(ms);
            }
        }

        Log(subject, $"absent time, {options.Runs} in-place writes and {options.Runs} rename-replaces that evict the entry");
        (result.Exposure, result.ExposureEvents) = Exposure.Measure(subject, Path.Combine(dir, "exposure"), needsHeal, healthy, options.Runs, _observer, _random);
        if (options.ReaderRuns > 0)
        {
            Log(subject, $"absent time with a reader holding the file, {options.ReaderRuns} in-place writes and {options.ReaderRuns} rename-replaces");
            (result.ExposureReader, _) = Exposure.Measure(subject, Path.Combine(dir, "exposure-reader"), needsHeal, healthy, options.ReaderRuns, _observer, _random, reader: true);
        }

        Log(subject, $"boot burst x {options.Bursts}: {Burst.Merges} merges 50 ms apart, every {Burst.EvictEvery}th evicting, heartbeat every 2 ms");
        result.Bursts = Burst.Measure(subject, Path.Combine(dir, "burst"), healthy, options.Bursts, cap, _random);
        Log(subject, $"keep-storm: {options.StormWrites} writes that keep the entry (settling capped at {cap.TotalSeconds:0} s)");
        result.KeepStorm = Storm.Measure(subject, Path.Combine(dir, "keep-storm"), healthy, healthy, evicting: false, options.StormWrites, cap, _observer);
        Log(subject, $"evict-storm: {options.StormWrites} writes that each evict the entry");
        result.EvictStorm = Storm.Measure(subject, Path.Combine(dir, "evict-storm"), healthy, needsHeal, evicting: true, options.StormWrites, cap, _observer);
        Log(subject, $"idle for {options.IdleSeconds} s");
        result.Idle = Storm.Idle(subject, Path.Combine(dir, "idle"), healthy, options.IdleSeconds, _observer);
        return result;
    }

    private static void Log(Subject subject, string what) => Console.Error.WriteLine($"e2e [{subject.Name}] {DateTime.Now:HH:mm:ss}: {what}");

    /// <summary>From process start to the file holding the entry (the file lacks it at start).</summary>
    private double StartToHealed(Subject subject, string dir, byte[] needsHeal)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "settings.json");
        File.WriteAllBytes(path, needsHeal);
        var t0 = Stopwatch.GetTimestamp();
        using var running = subject.Start(path);
        return _observer.WaitForEntry(path, t0, Exposure.MissAfter) is { } seen
            ? Stats.Ms(t0, seen)
            : throw new InvalidOperationException($"{subject.Name} did not heal within {Exposure.MissAfter}: {running.Errors()}");
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

    /// <summary>The baseline's equivalent of one heal: one jq process on a 64 KB file (median of 21, µs).</summary>
    private static double Jq64Kb(string root)
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

        return Stats.Median(times);
    }
}
