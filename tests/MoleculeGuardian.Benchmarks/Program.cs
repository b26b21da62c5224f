using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using MoleculeGuardian.Benchmarks;
using MoleculeGuardian.Benchmarks.E2E;

// Verbs:
//   bdn [--results-json <file>] [BenchmarkDotNet arguments...]   the in-process heal benchmarks
//   e2e --binary <published molecule-guardian> [options]           the end-to-end harness against the baseline
const string Usage = """
    usage: MoleculeGuardian.Benchmarks bdn [--results-json FILE] [BenchmarkDotNet args, e.g. --job short --filter '*']
           MoleculeGuardian.Benchmarks e2e --binary PATH [--baseline SCRIPT] [--start-runs 21] [--reassert-runs 100]
                                       [--storm-writes 1500] [--idle-seconds 60] [--debounce-ms 10] [--file-bytes 4096]
                                       [--work-dir DIR] [--bdn-results FILE] [--json-out FILE]
                                       [--only guardian|baseline]
    """;

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
        return RunE2e(rest);
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

    var summaries = BenchmarkSwitcher.FromTypes([typeof(HealBenchmarks), typeof(HealBreakdownBenchmarks)])
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

static int RunE2e(string[] args)
{
    var map = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"unexpected argument '{args[i]}'\n{Usage}");
            return 2;
        }

        map[args[i][2..]] = args[i + 1];
    }

    if (args.Length % 2 != 0 || !map.TryGetValue("binary", out var binary))
    {
        Console.Error.WriteLine(Usage);
        return 2;
    }

    int Int(string key, int fallback) => map.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    var options = new HarnessOptions
    {
        Binary = Path.GetFullPath(binary),
        BaselineScript = Path.GetFullPath(map.GetValueOrDefault("baseline") ?? Path.Combine(AppContext.BaseDirectory, "baseline", "inotifywait-jq.sh")),
        StartRuns = Int("start-runs", 21),
        ReassertRuns = Int("reassert-runs", 100),
        StormWrites = Int("storm-writes", 1500),
        IdleSeconds = Int("idle-seconds", 60),
        Debounce = TimeSpan.FromMilliseconds(Int("debounce-ms", 10)),
        FileBytes = Int("file-bytes", 4096),
        WorkDir = map.GetValueOrDefault("work-dir"),
        BdnResults = map.GetValueOrDefault("bdn-results"),
        JsonOut = map.GetValueOrDefault("json-out"),
        Only = map.GetValueOrDefault("only"),
    };
    return new Harness(options).Run();
}
