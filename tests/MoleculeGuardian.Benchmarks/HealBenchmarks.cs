using BenchmarkDotNet.Attributes;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Benchmarks;

public enum FileState
{
    /// <summary>The protected entry is missing: parse, decide (put it back), serialize.</summary>
    NeedsHeal,

    /// <summary>The protected entry is there and accepted: parse and decide; nothing to serialize or write.</summary>
    Healthy,
}

/// <summary>
/// The in-memory work of one heal, exactly as the guardian does it on every trigger: the heal decision on the bytes
/// read (parse, judge the protected entries, and serialize only when something is to be written).
/// </summary>
[MemoryDiagnoser]
public class HealBenchmarks
{
    private HealRules _rules = null!;
    private Observation _seen = null!;

    [Params(1024, 64 * 1024, 1024 * 1024)]
    public int SizeBytes { get; set; }

    [Params(FileState.NeedsHeal, FileState.Healthy)]
    public FileState State { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (needsHeal, healthy) = SettingsGenerator.Generate(SizeBytes);
        var bytes = State == FileState.NeedsHeal ? needsHeal : healthy;
        _seen = new Observation(SeenKind.File, bytes, new FileVersion(1, 1, bytes.Length, 1, 1), TimeSpan.Zero);
        _rules = new HealRules([ProtectedServerSpecs.ManagementDefault()], DriftPolicy.Replace, TimeSpan.FromMilliseconds(500), 16 << 20, _ => null);
    }

    [Benchmark(Description = "decide (parse+judge+serialize)")]
    public int Decide()
    {
        var plan = HealDecision.Decide(_seen, HealMemory.Empty, _rules);
        return plan.Kind is PlanKind.Write or PlanKind.NoChange ? plan.Content.Length : throw new InvalidOperationException(plan.Reason);
    }
}

/// <summary>Where the time of a 64 KB heal goes: the parse and the serialize, each alone.</summary>
[MemoryDiagnoser]
public class HealBreakdownBenchmarks
{
    private ReadOnlyMemory<byte> _bytes;
    private SettingsDocument _parsed = null!;

    [Params(FileState.NeedsHeal, FileState.Healthy)]
    public FileState State { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (needsHeal, healthy) = SettingsGenerator.Generate(64 * 1024);
        _bytes = State == FileState.NeedsHeal ? needsHeal : healthy;
        _ = SettingsJson.TryParse(_bytes, out var parsed, out _);
        _parsed = parsed!;
    }

    [GlobalCleanup]
    public void Cleanup() => _parsed.Dispose();

    [Benchmark(Description = "64KB parse")]
    public int Parse()
    {
        if (!SettingsJson.TryParse(_bytes, out var document, out _))
        {
            return 0;
        }

        using (document)
        {
            return document!.Values;
        }
    }

    [Benchmark(Description = "64KB serialize")]
    public int Serialize() => SettingsJson.Serialize(_parsed).Length;
}

/// <summary>
/// The floor under any parse of the same 64 KB on this machine: System.Text.Json's reader alone (one pass over the
/// tokens, nothing kept) and its document alone (what the heal's parse builds after its bounding scan).
/// </summary>
[MemoryDiagnoser]
public class ParseFloorBenchmarks
{
    private byte[] _bytes = null!;

    [GlobalSetup]
    public void Setup() => _bytes = SettingsGenerator.Generate(64 * 1024).Healthy;

    [Benchmark(Description = "64KB Utf8JsonReader alone")]
    public int Reader()
    {
        var reader = new System.Text.Json.Utf8JsonReader(_bytes);
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    [Benchmark(Description = "64KB JsonDocument.Parse alone")]
    public int Document()
    {
        using var document = System.Text.Json.JsonDocument.Parse(_bytes);
        return document.RootElement.GetPropertyCount();
    }
}
