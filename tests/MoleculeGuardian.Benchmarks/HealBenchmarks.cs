using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Benchmarks;

public enum FileState
{
    /// <summary>The protected entry is missing: parse, heal (add, in place), serialize.</summary>
    NeedsHeal,

    /// <summary>The protected entry is there and canonical: parse and check; nothing to serialize or write.</summary>
    Healthy,
}

/// <summary>
/// The in-memory work of one heal, exactly as the guardian does it on every trigger: parse the bytes read, run the
/// transform (in place, on the document it just parsed), and serialize only when something changed (a healthy file is never written).
/// </summary>
[MemoryDiagnoser]
public class HealBenchmarks
{
    private readonly IReadOnlyList<ProtectedServer> _servers = [ProtectedServerSpecs.ManagementDefault()];
    private ReadOnlyMemory<byte> _bytes;

    [Params(1024, 64 * 1024, 1024 * 1024)]
    public int SizeBytes { get; set; }

    [Params(FileState.NeedsHeal, FileState.Healthy)]
    public FileState State { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (needsHeal, healthy) = SettingsGenerator.Generate(SizeBytes);
        _bytes = State == FileState.NeedsHeal ? needsHeal : healthy;
    }

    [Benchmark(Description = "parse+heal+serialize")]
    public int ParseHealSerialize()
    {
        if (!SettingsJson.TryParse(_bytes, out var document, out var error))
        {
            throw new InvalidOperationException(error);
        }

        // As the Healer does: it owns the freshly parsed document, so the heal changes it in place.
        var result = HealTransform.HealInPlace(document, _servers, DriftPolicy.Replace);
        return result.Changed ? SettingsJson.Serialize(result.Document).Length : 0;
    }
}

/// <summary>Where the time of a 64 KB heal goes: parse, transform, serialize, each alone.</summary>
[MemoryDiagnoser]
public class HealBreakdownBenchmarks
{
    private readonly IReadOnlyList<ProtectedServer> _servers = [ProtectedServerSpecs.ManagementDefault()];
    private ReadOnlyMemory<byte> _bytes;
    private JsonNode? _parsed;
    private JsonObject _healed = null!;

    [Params(FileState.NeedsHeal, FileState.Healthy)]
    public FileState State { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (needsHeal, healthy) = SettingsGenerator.Generate(64 * 1024);
        _bytes = State == FileState.NeedsHeal ? needsHeal : healthy;
        _ = SettingsJson.TryParse(_bytes, out _parsed, out _);
        _healed = HealTransform.Heal(_parsed, _servers, DriftPolicy.Replace).Document;
    }

    [Benchmark(Description = "64KB parse")]
    public JsonNode? Parse() => SettingsJson.TryParse(_bytes, out var document, out _) ? document : null;

    // The copying Heal, so every iteration starts from the same tree: this is mostly the clone's cost. The guardian
    // heals the tree it just parsed in place, which the parse+heal+serialize benchmark measures.
    [Benchmark(Description = "64KB heal transform (copying)")]
    public int Heal() => HealTransform.Heal(_parsed, _servers, DriftPolicy.Replace).Changes.Count;

    [Benchmark(Description = "64KB serialize")]
    public int Serialize() => SettingsJson.Serialize(_healed).Length;
}
