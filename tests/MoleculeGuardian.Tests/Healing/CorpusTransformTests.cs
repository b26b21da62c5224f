using System.Text.Json.Nodes;
using System.Text;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Healing;

public sealed class CorpusTransformTests
{
    private static readonly ProtectedServer Management = ProtectedServerSpecs.ManagementDefault();
    private static readonly IReadOnlyList<ProtectedServer> Servers = [Management];

    public static TheoryData<string> Files() => Corpus.Files();

    /// <summary>Heals under both policies, checks each output, and adds the outputs to <paramref name="outputs"/> if given.</summary>
    private static void HealAndCheck(byte[] bytes, string what, HashSet<string>? outputs = null)
    {
        var parsed = SettingsJson.TryParse(bytes, out var document, out var error);
        Assert.True(parsed || error.Length > 0, what);

        foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
        {
            var result = HealTransform.Heal(parsed ? document : null, Servers, policy);

            var output = SettingsJson.Serialize(result.Document);
            outputs?.Add(Encoding.UTF8.GetString(output));
            Assert.True(SettingsJson.TryParse(output, out var reparsed, out var reparseError), $"{what}: {reparseError}");
            Assert.Equal(output, SettingsJson.Serialize(reparsed));
            Assert.True(HealTransform.Complies(reparsed, Servers, policy), what);
            Assert.False(HealTransform.Heal(reparsed, Servers, policy).Changed, what);
            if (policy == DriftPolicy.Replace || !parsed || !Corpus.Preserves(document, result.Document))
            {
                Assert.True(JsonNode.DeepEquals(Management.Spec, reparsed!["mcpServers"]!["molecule-platform"]), what);
            }

            if (result.Changed && !result.Changes.Any(c => c.DropsContent))
            {
                Assert.True(Corpus.Preserves(document, result.Document), $"{what}: content dropped without DropsContent");
            }
        }
    }

    [Fact]
    public void Corpus_Always_HasAtLeast30Inputs() =>
        Assert.True(Corpus.Names.Count >= 30, $"{Corpus.Names.Count} corpus files");

    [Fact]
    public void Corpus_Readme_ListsEveryFile()
    {
        var readme = File.ReadAllText(Path.Combine(Corpus.Directory, "README.md"));

        Assert.All(Corpus.Names, name => Assert.Contains("`" + name + "`", readme, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Heal_CorpusFile_NeverThrowsAndEndsCanonical(string name) => HealAndCheck(Corpus.Read(name), name);

    [RequiresFact("python3")]
    public void Heal_EveryPrefixOfTheRealSettings_NeverThrowsAndEndsCanonical()
    {
        var bytes = Corpus.Read(Corpus.RealSettings);
        Assert.True(bytes.Length > 1000);
        var outputs = new HashSet<string>(StringComparer.Ordinal);

        for (var length = 0; length <= bytes.Length; length++)
        {
            HealAndCheck(bytes[..length], $"{Corpus.RealSettings}[..{length}]", outputs);
        }

        // HealAndCheck reads the output with SettingsJson itself; here the runtime's own json module judges it too.
        PythonJson.AssertFixedPoints([.. outputs.Select(Encoding.UTF8.GetBytes)]);
    }

    [RequiresFact("python3")]
    public void Heal_EveryCorpusFile_WritesWhatPythonReadsAndWritesBackUnchanged()
    {
        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in Corpus.Names)
        {
            HealAndCheck(Corpus.Read(name), name, outputs);
        }

        PythonJson.AssertFixedPoints([.. outputs.Select(Encoding.UTF8.GetBytes)]);
    }

    public static TheoryData<string, bool> Expectations() => new()
    {
        // file, parses (as json.loads would, except NaN/Infinity/lone surrogates, which System.Text.Json rejects)
        { "real-settings.json", true },
        { "real-settings-healthy.json", true },
        { "bom.json", true },
        { "duplicate-keys.json", true },
        { "huge-number.json", true },
        { "nested-300.json", true },
        { "nested-511-objects.json", true },
        { "large-2mib.json", true },
        { "minified-crlf.json", true },
        { "root-null.json", true },
        { "empty.json", false },
        { "whitespace-only.json", false },
        { "bom-only.json", false },
        { "invalid-utf8.json", false },
        { "utf16le-bom.json", false },
        { "utf16be-nobom.json", false },
        { "nan.json", false },
        { "infinity.json", false },
        { "comments.json", false },
        { "trailing-comma.json", false },
        { "single-quotes.json", false },
        { "unterminated-string.json", false },
        { "lone-surrogate.json", false },
        { "nested-5000.json", false },
        { "nested-100000-unclosed.json", false },
        { "nul-bytes.json", false },
        { "torn-write.json", false },
    };

    [Theory]
    [MemberData(nameof(Expectations))]
    public void TryParse_CorpusFile_ParsesOrNotAsDocumented(string name, bool parses)
    {
        var ok = SettingsJson.TryParse(Corpus.Read(name), out _, out var error);

        Assert.True(parses == ok, $"{name}: {error}");
        Assert.DoesNotContain("SECRET", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_RealSettingsHealthy_IsAlreadyCompliantAndByteStable()
    {
        var bytes = Corpus.Read("real-settings-healthy.json");
        var document = Corpus.TryParse(bytes);

        var result = HealTransform.Heal(document, Servers, DriftPolicy.Replace);

        Assert.False(result.Changed);
        Assert.Equal(bytes, SettingsJson.Serialize(result.Document));
    }

    [Theory]
    [InlineData("drifted-with-secrets.json", HealChangeKind.ReplacedDrift)]
    [InlineData("drifted-extra-env.json", HealChangeKind.ReplacedDrift)]
    [InlineData("protected-entry-null.json", HealChangeKind.ReplacedDrift)]
    [InlineData("duplicate-protected.json", HealChangeKind.ReplacedDrift)]
    [InlineData("real-settings.json", HealChangeKind.AddedEntry)]
    [InlineData("mcpservers-missing.json", HealChangeKind.CreatedMcpServers)]
    [InlineData("empty-object.json", HealChangeKind.CreatedMcpServers)]
    [InlineData("mcpservers-array.json", HealChangeKind.RepairedMcpServers)]
    [InlineData("mcpservers-string.json", HealChangeKind.RepairedMcpServers)]
    [InlineData("mcpservers-null.json", HealChangeKind.RepairedMcpServers)]
    [InlineData("mcpservers-number.json", HealChangeKind.RepairedMcpServers)]
    [InlineData("root-array.json", HealChangeKind.RepairedRoot)]
    [InlineData("root-string.json", HealChangeKind.RepairedRoot)]
    [InlineData("root-number.json", HealChangeKind.RepairedRoot)]
    [InlineData("root-null.json", HealChangeKind.RepairedRoot)]
    [InlineData("root-true.json", HealChangeKind.RepairedRoot)]
    public void Heal_ShapedCorpusFile_ReportsTheExpectedFirstChange(string name, object kindValue)
    {
        var kind = (HealChangeKind)kindValue;
        var result = HealTransform.Heal(Corpus.TryParse(Corpus.Read(name)), Servers, DriftPolicy.Replace);

        Assert.Equal(kind, result.Changes[0].Kind);
    }

    [Fact]
    public void Heal_ProtectedEntryReordered_IsCompliant() =>
        Assert.False(HealTransform.Heal(Corpus.TryParse(Corpus.Read("protected-entry-reordered.json")), Servers, DriftPolicy.Replace).Changed);
}
