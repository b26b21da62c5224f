using System.Text.Json.Nodes;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;

namespace MoleculeGuardian.Tests.Healing;

/// <summary>
/// The changes a heal reports are what the Healed log line, the metrics and the quarantine decision are made of:
/// each shape of document must report exactly its list, in order, with the right kinds.
/// </summary>
public sealed class HealChangesTests
{
    private static readonly IReadOnlyList<ProtectedServer> Two =
        [ProtectedServerSpecs.ManagementDefault(), ProtectedServerSpecs.From("second", new ProtectedServerOptions { Command = "s" })];

    public static TheoryData<string, string> Shapes() => new()
    {
        // document, the changes it reports (the same under both policies)
        { "[1]", "RepairedRoot" },
        { "null", "RepairedRoot" },
        { "{}", "CreatedMcpServers AddedEntry:molecule-platform AddedEntry:second" },
        { """{"mcpServers": []}""", "RepairedMcpServers AddedEntry:molecule-platform AddedEntry:second" },
        { """{"mcpServers": null}""", "RepairedMcpServers AddedEntry:molecule-platform AddedEntry:second" },
        { """{"mcpServers": {}}""", "AddedEntry:molecule-platform AddedEntry:second" },
        { """{"mcpServers": {"second": {"command": "s"}}}""", "AddedEntry:molecule-platform" },
        { """{"mcpServers": {"second": "not an object"}}""", "AddedEntry:molecule-platform ReplacedDrift:second" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Heal_Shape_ReportsExactlyItsChangesUnderBothPolicies(string json, string expected)
    {
        foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
        {
            var result = HealTransform.Heal(JsonNode.Parse(json), Two, policy);

            Assert.Equal(expected, string.Join(' ', result.Changes));
            Assert.True(result.Changed);
        }
    }

    [Fact]
    public void Heal_RootRepaired_DocumentHoldsEveryProtectedEntryInOrder()
    {
        var result = HealTransform.Heal(JsonNode.Parse("[]"), Two, DriftPolicy.Replace);

        Assert.Equal("""{"mcpServers":{"molecule-platform":{"command":"molecule-platform-mcp","env":{"MOLECULE_MCP_MODE":"management"}},"second":{"command":"s"}}}""",
            result.Document.ToJsonString());
    }

    [Fact]
    public void Heal_OnlyTheSecondServerDrifted_ReplacesOnlyThatOne()
    {
        var document = JsonNode.Parse("""{"mcpServers": {"molecule-platform": {"command": "mine"}, "second": {"command": "drifted"}}}""");

        var result = HealTransform.Heal(document, Two, DriftPolicy.Keep);
        Assert.Empty(result.Changes);

        result = HealTransform.Heal(document, Two, DriftPolicy.Replace);
        Assert.Equal("ReplacedDrift:molecule-platform ReplacedDrift:second", string.Join(' ', result.Changes));
        Assert.Equal("""{"mcpServers":{"molecule-platform":{"command":"molecule-platform-mcp","env":{"MOLECULE_MCP_MODE":"management"}},"second":{"command":"s"}}}""",
            result.Document.ToJsonString());
    }

    [Fact]
    public void Heal_OneOfTwoMissing_LeavesTheOtherInstanceAsItIs()
    {
        // Apply replaces only what Plan named: an entry that complies is not even re-assigned.
        var document = JsonNode.Parse("""{"mcpServers": {"second": {"command": "s"}}}""")!;
        var kept = document["mcpServers"]!["second"];

        var result = HealTransform.HealInPlace(document, Two, DriftPolicy.Replace);

        Assert.Same(kept, result.Document["mcpServers"]!["second"]);
    }

    [Theory]
    [InlineData(HealChangeKind.RepairedRoot, true)]
    [InlineData(HealChangeKind.RepairedMcpServers, true)]
    [InlineData(HealChangeKind.ReplacedDrift, true)]
    [InlineData(HealChangeKind.CreatedMcpServers, false)]
    [InlineData(HealChangeKind.AddedEntry, false)]
    [InlineData(HealChangeKind.CreatedFile, false)]
    [InlineData(HealChangeKind.RepairedCorruptFile, false)]
    public void DropsContent_EachKind_TrueOnlyWhereBytesAreNotCarriedOver(object kindValue, bool drops) =>
        Assert.Equal(drops, new HealChange((HealChangeKind)kindValue, "x").DropsContent);

    [Fact]
    public void ToString_WithAndWithoutServer_NamesKindAndServerOnly()
    {
        Assert.Equal("AddedEntry:molecule-platform", new HealChange(HealChangeKind.AddedEntry, "molecule-platform").ToString());
        Assert.Equal("RepairedRoot", new HealChange(HealChangeKind.RepairedRoot).ToString());
    }

    [Fact]
    public void ProtectedServer_MissingNameOrSpec_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ProtectedServer("", new JsonObject()));
        Assert.Throws<ArgumentNullException>(() => new ProtectedServer("x", null!));
        Assert.Throws<ArgumentNullException>(() => ProtectedServerSpecs.From("x", null!));
        Assert.Throws<ArgumentNullException>(() => ProtectedServerSpecs.FromOptions(null!));
    }

    [Fact]
    public void From_EmptyMembers_AreOmitted()
    {
        var spec = ProtectedServerSpecs.From("bare", new ProtectedServerOptions { Type = "", Command = "", Url = "" }).Spec;

        Assert.Equal("{}", spec.ToJsonString());
    }

    [Fact]
    public void From_EveryMember_InTheRuntimesKeyOrder()
    {
        var spec = ProtectedServerSpecs.From("full", new ProtectedServerOptions
        {
            Url = "https://u",
            Headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["H"] = "h" },
            Env = new Dictionary<string, string>(StringComparer.Ordinal) { ["E"] = "e", ["F"] = "f" },
            Args = ["a", "b"],
            Command = "c",
            Type = "stdio",
        }).Spec;

        Assert.Equal("""{"type":"stdio","command":"c","args":["a","b"],"env":{"E":"e","F":"f"},"url":"https://u","headers":{"H":"h"}}""", spec.ToJsonString());
    }
}
