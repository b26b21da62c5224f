using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Json;
using MoleculeGuardian.Tests.Healing;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Guarding;

/// <summary>Every hostile corpus file through the real healer on a real directory: nothing hangs, nothing is lost.</summary>
public sealed class HealerCorpusTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private const string CanonicalEntry = """{"command":"molecule-platform-mcp","env":{"MOLECULE_MCP_MODE":"management"}}""";

    public static TheoryData<string> Files() => Corpus.Files();

    /// <summary>Heals <paramref name="original"/> as settings.json and checks the outcome; returns the report.</summary>
    private static async Task<HealReport> HealAndCheckAsync(byte[] original, string what, DriftPolicy policy = DriftPolicy.Replace)
    {
        using var temp = new TempDirectory();
        var path = temp.SettingsPath();
        await File.WriteAllBytesAsync(path, original);
        using var log = new TestLog();
        var healer = TestHealers.Healer(TestHealers.Options(path, o => o.DriftPolicy = policy), log: new Logger<Healer>(log));

        var report = await healer.HealAsync(HealTrigger.Startup, dryRun: false, CancellationToken.None).WaitAsync(Bound);

        Assert.True(report.Succeeded, $"{what}: {report.Status} {report.Detail}");
        var healedBytes = await File.ReadAllBytesAsync(path);
        Assert.True(SettingsJson.TryParse(healedBytes, out var parsed, out var error), $"{what}: healed file does not parse: {error}");
        var healed = JsonNodes.Of(parsed!);
        var entry = healed!["mcpServers"]!["molecule-platform"];
        Assert.True(policy == DriftPolicy.Keep || report.Compliant, $"{what}: healed file does not comply");
        if (policy == DriftPolicy.Replace)
        {
            Assert.True(Decisions.Management.ShapeOf(SettingsJson.ToElement(entry)) is not null, $"{what}: entry not accepted");
            Assert.True(report.Status == HealStatus.NoChange || JsonNode.DeepEquals(JsonNode.Parse(CanonicalEntry), entry), $"{what}: written entry not the spec");
        }

        var directory = Path.GetDirectoryName(path)!;
        var quarantined = Directory.GetFiles(directory, "settings.json.corrupt-*")
            .Concat(Directory.GetFiles(directory, "settings.json.replaced-*"))
            .ToList();
        var originalDocument = Corpus.TryParse(original);
        if (report.Status == HealStatus.NoChange)
        {
            Assert.Equal(original, healedBytes); // compliant: no write at all
            Assert.Empty(quarantined);
        }
        else if (!Corpus.Preserves(originalDocument, healed!.AsObject()))
        {
            // Something of the original is not in the new file: the original bytes must be kept, exactly.
            Assert.True(quarantined.Count == 1, $"{what}: content dropped, {quarantined.Count} quarantine copies");
            Assert.Equal(original, await File.ReadAllBytesAsync(quarantined[0]));
            Assert.Equal(quarantined[0], report.Quarantined);
        }

        Assert.Empty(Directory.GetFiles(directory, ".settings.json.guardian-*"));
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
        var second = await healer.HealAsync(HealTrigger.Watch, dryRun: false, CancellationToken.None).WaitAsync(Bound);
        Assert.Equal(HealStatus.NoChange, second.Status);

        // Secrets never reach the logs: the corpus marks every secret-looking value with SECRET.
        Assert.DoesNotContain("SECRET", log.Text, StringComparison.Ordinal);
        return report;
    }

    /// <summary>
    /// Judged without the product's parser: Python's json, through the real interpreter, must load every healed file,
    /// and its json.dumps(indent=2) must be the very bytes the guardian wrote, canonical entry included.
    /// </summary>
    [RequiresFact("python3")]
    public async Task HealAsync_EveryCorpusFile_WritesWhatPythonItselfWouldWrite()
    {
        const string Entry = "\"molecule-platform\": {\n      \"command\": \"molecule-platform-mcp\",\n      \"env\": {\n        \"MOLECULE_MCP_MODE\": \"management\"\n      }\n    }";
        var healed = new List<(string Name, byte[] Bytes)>();
        foreach (var name in Corpus.Names)
        {
            using var temp = new TempDirectory();
            var path = temp.SettingsPath();
            await File.WriteAllBytesAsync(path, Corpus.Read(name));
            var report = await TestHealers.Healer(TestHealers.Options(path)).HealAsync(HealTrigger.Startup, dryRun: false, CancellationToken.None).WaitAsync(Bound);
            if (report.Status == HealStatus.Healed)
            {
                healed.Add((name, await File.ReadAllBytesAsync(path)));
            }
        }

        var verdicts = PythonJson.Judge([.. healed.Select(h => h.Bytes)]);

        Assert.NotEmpty(healed);
        foreach (var ((name, bytes), verdict) in healed.Zip(verdicts))
        {
            Assert.True(verdict.Parses, $"{name}: Python cannot load the healed file: {verdict.Error}");
            Assert.True(bytes.AsSpan().SequenceEqual(verdict.Dumped), $"{name}: the healed file is not what json.dumps(indent=2) writes");
            Assert.Contains(Entry, System.Text.Encoding.UTF8.GetString(verdict.Dumped), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task HealAsync_CorpusFile_HealsWithoutLosingAnyByte(string name)
    {
        await HealAndCheckAsync(Corpus.Read(name), name);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task HealAsync_CorpusFileUnderKeep_HealsWithoutLosingAnyByte(string name)
    {
        await HealAndCheckAsync(Corpus.Read(name), name + " (Keep)", DriftPolicy.Keep);
    }

    [Fact]
    public async Task HealAsync_EverySeventhPrefixOfTheRealSettings_HealsWithoutLosingAnyByte()
    {
        var bytes = Corpus.Read(Corpus.RealSettings);
        var lengths = Enumerable.Range(0, (bytes.Length / 7) + 1).Select(i => i * 7).Append(bytes.Length - 1).Append(bytes.Length).Distinct();

        // Eight at a time: each one waits out a settle delay, in its own directory.
        foreach (var chunk in lengths.Chunk(8))
        {
            await Task.WhenAll(chunk.Select(length => HealAndCheckAsync(bytes[..length], $"{Corpus.RealSettings}[..{length}]")));
        }
    }

    [Theory]
    [InlineData("drifted-extra-env.json", "replaced")]
    [InlineData("mcpservers-array.json", "corrupt")]
    [InlineData("root-array.json", "corrupt")]
    [InlineData("nan.json", "corrupt")]
    [InlineData("invalid-utf8.json", "corrupt")]
    [InlineData("empty.json", "corrupt")]
    [InlineData("torn-write.json", "corrupt")]
    public async Task HealAsync_ContentDropped_QuarantinesUnderTheRightKind(string name, string kind)
    {
        var report = await HealAndCheckAsync(Corpus.Read(name), name);

        Assert.NotNull(report.Quarantined);
        Assert.StartsWith("settings.json." + kind + "-", Path.GetFileName(report.Quarantined), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("real-settings.json")]
    [InlineData("mcpservers-missing.json")]
    [InlineData("bom.json")]
    [InlineData("large-2mib.json")]
    public async Task HealAsync_OnlyAdditions_QuarantinesNothing(string name)
    {
        var report = await HealAndCheckAsync(Corpus.Read(name), name);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Null(report.Quarantined);
    }

    [Fact]
    public async Task HealAsync_DuplicateKeys_KeepsTheOriginalBecauseOverriddenValuesAreDropped()
    {
        var report = await HealAndCheckAsync(Corpus.Read("duplicate-keys.json"), "duplicate-keys.json");

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.NotNull(report.Quarantined);
        Assert.Contains(".replaced-", report.Quarantined, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("real-settings-healthy.json")]
    [InlineData("protected-entry-reordered.json")]
    [InlineData("drifted-with-secrets.json")]
    public async Task HealAsync_CompliantFile_WritesNothing(string name)
    {
        var report = await HealAndCheckAsync(Corpus.Read(name), name);

        Assert.Equal(HealStatus.NoChange, report.Status);
    }
}
