using System.Text.Json.Nodes;
using System.Text;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Healing;

public sealed class CorpusTransformTests
{
    private static readonly ProtectedServer Management = Decisions.Management;

    public static TheoryData<string> Files() => Corpus.Files();

    /// <summary>The decision on a file first seen at 0 and still the same once the settle delay has passed.</summary>
    private static HealPlan Settled(byte[] bytes, HealRules rules)
    {
        var first = HealDecision.Decide(Decisions.File(bytes), HealMemory.Empty, rules);
        return first.Kind == PlanKind.Wait ? HealDecision.Decide(Decisions.File(bytes, Decisions.Settle), first.Memory, rules) : first;
    }

    /// <summary>Heals under both policies, checks each output, and adds the outputs to <paramref name="outputs"/> if given.</summary>
    private static void HealAndCheck(byte[] bytes, string what, HashSet<string>? outputs = null)
    {
        var original = Corpus.TryParse(bytes);
        foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
        {
            var rules = Decisions.Rules(policy);
            var plan = Settled(bytes, rules);
            Assert.True(plan.Kind is PlanKind.Write or PlanKind.NoChange, $"{what}: {plan.Kind} {plan.Reason}");
            var output = plan.Kind == PlanKind.Write ? plan.Content : SettingsJson.Serialize(Corpus.TryParse(bytes));
            outputs?.Add(Encoding.UTF8.GetString(output));
            Assert.True(SettingsJson.TryParse(output, out var reparsed, out var reparseError), $"{what}: {reparseError}");
            Assert.Equal(output, SettingsJson.Serialize(reparsed!));

            var again = HealDecision.Decide(Decisions.File(output), plan.Memory, rules);
            Assert.True(again.Kind == PlanKind.NoChange, what);
            if (policy == DriftPolicy.Replace)
            {
                Assert.Empty(again.LeftOut);
                var entry = JsonNodes.Of(reparsed!)!["mcpServers"]!["molecule-platform"];
                Assert.NotNull(Management.ShapeOf(MoleculeGuardian.Json.SettingsJson.ToElement(entry)));
            }

            if (plan.Kind == PlanKind.Write && !plan.Changes.Any(c => c.DropsContent) && original is not null)
            {
                Assert.True(Corpus.Preserves(original, Assert.IsType<JsonObject>(JsonNodes.Of(reparsed!))), $"{what}: content dropped without DropsContent");
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

        var plan = HealDecision.Decide(Decisions.File(bytes), HealMemory.Empty, Decisions.Rules());

        Assert.Equal(PlanKind.NoChange, plan.Kind);
        Assert.True(SettingsJson.TryParse(bytes, out var document, out _));
        Assert.Equal(bytes, SettingsJson.Serialize(document!));
    }

    [Theory]
    [InlineData("drifted-extra-env.json", HealChangeKind.ReplacedImpostor)]
    [InlineData("protected-entry-null.json", HealChangeKind.ReplacedImpostor)]
    [InlineData("duplicate-protected.json", HealChangeKind.ReplacedImpostor)]
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
        var plan = HealDecision.Decide(Decisions.File(Corpus.Read(name)), HealMemory.Empty, Decisions.Rules());

        Assert.Equal((HealChangeKind)kindValue, plan.Changes[0].Kind);
    }

    [Theory]
    [InlineData("protected-entry-reordered.json", "baked")]
    [InlineData("drifted-with-secrets.json", "npx")]
    public void Heal_PlatformsOwnEntry_IsAcceptedAndLeftAsItIs(string name, string shape)
    {
        var plan = HealDecision.Decide(Decisions.File(Corpus.Read(name)), HealMemory.Empty, Decisions.Rules());

        Assert.Equal(PlanKind.NoChange, plan.Kind);
        Assert.Equal(new EntryNotice(NoticeKind.Remembered, "molecule-platform", shape), Assert.Single(plan.Notices));
    }
}
