using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using MoleculeGuardian.Benchmarks;
using MoleculeGuardian.Benchmarks.E2E;

// Verbs:
//   bdn [--results-json <file>] [BenchmarkDotNet arguments...]   the in-process heal benchmarks
//   e2e --binary <published molecule-guardian> [options]           the end-to-end harness against the baseline
//   telemetry --binary <published molecule-guardian> [options]     what OTLP export costs: off against on, same run
//   footprint --binary [LABEL=]PATH ... [options]                  start, memory, threads and idle CPU of builds side by side
const string Usage = """
    usage: MoleculeGuardian.Benchmarks bdn [--results-json FILE] [BenchmarkDotNet args, e.g. --job short --filter '*']
           MoleculeGuardian.Benchmarks e2e --binary PATH [--baseline SCRIPT] [--runs 200] [--reader-runs 200] [--bursts 5] [--storm-writes 1500]
                                       [--storm-cap-seconds 60] [--start-runs 21] [--idle-seconds 60] [--floor-runs 500]
                                       [--file-bytes 4096] [--work-dir DIR] [--bdn-results FILE] [--json-out FILE]
                                       [--only guardian|baseline]
      --runs         evicting writes of each kind (in place, rename-replace) per subject, for the absent time
      --reader-runs  the same with a reader holding the file each write leaves (as tail -f would); 0 skips them
      --bursts       boot bursts per subject (30 merges in 1.5 s, every 5th evicting, heartbeat every 2 ms)
      --storm-writes back-to-back writes per storm (one storm keeping the entry, one evicting it)
      --storm-cap-seconds  how long a subject may take to settle after a storm or burst (the jq loop needs it)
           MoleculeGuardian.Benchmarks telemetry --binary PATH [--before PATH] [--runs 21] [--idle-seconds 65]
      telemetry      start to healed, RSS, threads and idle CPU with the OTEL_ variables unset and with
                     OTEL_EXPORTER_OTLP_ENDPOINT set to a local sink (alternating); idle long enough for one export
                     at the default 60 s interval; --before adds another binary (e.g. the build with the exporter) as a column
           MoleculeGuardian.Benchmarks footprint --binary [LABEL=]PATH [--binary [LABEL=]PATH ...] [--runs 21] [--idle-seconds 65]
      footprint      the same measurements for several builds of the guardian (e.g. before and after a change),
                     one column each, starts alternating, all at rest together
    The guardian always runs at its shipped defaults.
    """;
// Unknown options are refused: one from an older harness (--debounce-ms, --reassert-runs) would otherwise be ignored
// silently and the run mistaken for what it is not.
string[] e2eOptions = ["binary", "baseline", "runs", "reader-runs", "bursts", "storm-writes", "storm-cap-seconds", "start-runs", "idle-seconds",
    "floor-runs", "file-bytes", "work-dir", "bdn-results", "json-out", "only"];

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var rest = args[1..];
switch (args[0])
{
    case "bdn":
        return RunBdn(rest);
    case "e2e":
        return RunE2e(rest, e2eOptions, Usage);
    case "telemetry" when rest.Length >= 2 && rest[0] == "--binary":
        return TelemetryCost.Run(Path.GetFullPath(rest[1]), Array.IndexOf(rest, "--before") is var b and >= 0 && b + 1 < rest.Length ? Path.GetFullPath(rest[b + 1]) : null,
            Option(rest, "--runs", 21), Option(rest, "--idle-seconds", 65));
    case "footprint" when Columns(rest) is { Count: > 0 } columns:
        Console.WriteLine(SideBySide.Table(columns, Option(rest, "--runs", 21), Option(rest, "--idle-seconds", 65)));
        return 0;
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}

static int RunBdn(string[] args)
{
    string? resultsJson = null;
    var bdnArgs = new List<string>();
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i] == "--results-json" && i + 1 < args.Length)
        {
            resultsJson = args[++i];
        }
        else
        {
            bdnArgs.Add(args[i]);
        }
    }

    var summaries = BenchmarkSwitcher.FromTypes([typeof(HealBenchmarks), typeof(HealBreakdownBenchmarks), typeof(ParseFloorBenchmarks)])
        .Run([.. bdnArgs], DefaultConfig.Instance);
    var rows = summaries.SelectMany(s => s.Reports).Where(r => r.ResultStatistics is not null).Select(r => new
    {
        Benchmark = r.BenchmarkCase.Descriptor.Type.Name,
        Method = r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo,
        SizeBytes = r.BenchmarkCase.Parameters["SizeBytes"] is int size ? size : 64 * 1024,
        State = r.BenchmarkCase.Parameters["State"]?.ToString(),
        MeanNs = r.ResultStatistics!.Mean,
        MedianNs = r.ResultStatistics.Median,
        AllocatedBytes = r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase) ?? 0,
    }).ToList();
    if (resultsJson is not null)
    {
        File.WriteAllText(resultsJson, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
    }

    return rows.Count > 0 ? 0 : 1;
}

static int RunE2e(string[] args, string[] known, string usage)
{
    var map = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        var key = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : null;
        if (key is null || !known.Contains(key))
        {
            Console.Error.WriteLine($"unknown option '{args[i]}'\n{usage}");
            return 2;
        }

        map[key] = args[i + 1];
    }

    if (args.Length % 2 != 0 || !map.TryGetValue("binary", out var binary))
    {
        Console.Error.WriteLine(usage);
        return 2;
    }

    int Int(string key, int fallback) => map.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    var options = new HarnessOptions
    {
        Binary = Path.GetFullPath(binary),
        BaselineScript = Path.GetFullPath(map.GetValueOrDefault("baseline") ?? Path.Combine(AppContext.BaseDirectory, "baseline", "inotifywait-jq.sh")),
        Runs = Int("runs", 200),
        ReaderRuns = Int("reader-runs", 200),
        Bursts = Int("bursts", 5),
        StormWrites = Int("storm-writes", 1500),
        StormCapSeconds = Int("storm-cap-seconds", 60),
        StartRuns = Int("start-runs", 21),
        IdleSeconds = Int("idle-seconds", 60),
        FloorRuns = Int("floor-runs", 500),
        FileBytes = Int("file-bytes", 4096),
        WorkDir = map.GetValueOrDefault("work-dir"),
        BdnResults = map.GetValueOrDefault("bdn-results"),
        JsonOut = map.GetValueOrDefault("json-out"),
        Only = map.GetValueOrDefault("only"),
    };
    return new Harness(options).Run();
}

static int Option(string[] args, string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

// --binary LABEL=PATH, or --binary PATH labelled by its directory (artifacts/perf/publish -> publish).
static List<SideBySide.Column> Columns(string[] args)
{
    var columns = new List<SideBySide.Column>();
    for (var i = 0; i + 1 < args.Length; i++)
    {
        if (args[i] == "--binary")
        {
            var spec = args[++i];
            var eq = spec.IndexOf('=', StringComparison.Ordinal);
            var path = Path.GetFullPath(eq > 0 ? spec[(eq + 1)..] : spec);
            columns.Add(new(eq > 0 ? spec[..eq] : Path.GetFileName(Path.GetDirectoryName(path)!), path, new GuardianSubject(path)));
        }
    }

    return columns;
}
