using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using static MoleculeGuardian.Tests.Healing.Decisions;

namespace MoleculeGuardian.Tests.Healing;

/// <summary>
/// The changes a heal reports are what the Healed log line, the metrics and the quarantine decision are made of:
/// each shape of document must report exactly its list, in order, with the right kinds and sources.
/// </summary>
public sealed class HealChangesTests
{
    private static readonly IReadOnlyList<ProtectedServer> Two =
        [Management, ProtectedServerSpecs.From("second", new ProtectedServerOptions { Command = "s" }, _ => null)];

    public static TheoryData<string, string> Shapes() => new()
    {
        // document, the changes it reports (the same under both policies)
        { "[1]", "RepairedRoot AddedEntry:molecule-platform:configured AddedEntry:second:configured" },
        { "null", "RepairedRoot AddedEntry:molecule-platform:configured AddedEntry:second:configured" },
        { "{}", "CreatedMcpServers AddedEntry:molecule-platform:configured AddedEntry:second:configured" },
        { """{"mcpServers": []}""", "RepairedMcpServers AddedEntry:molecule-platform:configured AddedEntry:second:configured" },
        { """{"mcpServers": null}""", "RepairedMcpServers AddedEntry:molecule-platform:configured AddedEntry:second:configured" },
        { """{"mcpServers": {}}""", "AddedEntry:molecule-platform:configured AddedEntry:second:configured" },
        { """{"mcpServers": {"second": {"command": "s"}}}""", "AddedEntry:molecule-platform:configured" },
        { """{"mcpServers": {"second": "not an object"}}""", "AddedEntry:molecule-platform:configured ReplacedImpostor:second:configured" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Decide_Shape_ReportsExactlyItsChangesUnderBothPolicies(string json, string expected)
    {
        foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
        {
            var plan = Decide(json, rules: Rules(policy, servers: Two));

            Assert.Equal(expected, string.Join(' ', plan.Changes));
            Assert.Equal(PlanKind.Write, plan.Kind);
        }
    }

    [Fact]
    public void Decide_RootRepaired_DocumentHoldsEveryProtectedEntryInOrder()
    {
        var plan = Decide("[]", rules: Rules(servers: Two));

        Assert.Equal("""{"mcpServers":{"molecule-platform":{"command":"molecule-platform-mcp","env":{"MOLECULE_MCP_MODE":"management"}},"second":{"command":"s"}}}""",
            Written(plan).ToJsonString());
    }

    [Fact]
    public void Decide_BothImpostors_UnderKeepNothingUnderReplaceBoth()
    {
        const string Document = """{"mcpServers": {"molecule-platform": {"command": "mine"}, "second": {"command": "drifted"}}}""";

        var keep = Decide(Document, rules: Rules(DriftPolicy.Keep, servers: Two));
        var replace = Decide(Document, rules: Rules(servers: Two));

        Assert.Empty(keep.Changes);
        Assert.Equal(["molecule-platform", "second"], keep.LeftOut);
        Assert.Equal("ReplacedImpostor:molecule-platform:configured ReplacedImpostor:second:configured", string.Join(' ', replace.Changes));
        Assert.Equal("""{"mcpServers":{"molecule-platform":{"command":"molecule-platform-mcp","env":{"MOLECULE_MCP_MODE":"management"}},"second":{"command":"s"}}}""",
            Written(replace).ToJsonString());
    }

    [Theory]
    [InlineData(HealChangeKind.RepairedRoot, true)]
    [InlineData(HealChangeKind.RepairedMcpServers, true)]
    [InlineData(HealChangeKind.ReplacedImpostor, true)]
    [InlineData(HealChangeKind.CreatedMcpServers, false)]
    [InlineData(HealChangeKind.AddedEntry, false)]
    [InlineData(HealChangeKind.CreatedFile, false)]
    [InlineData(HealChangeKind.RepairedCorruptFile, false)]
    public void DropsContent_EachKind_TrueOnlyWhereBytesAreNotCarriedOver(object kindValue, bool drops) =>
        Assert.Equal(drops, new HealChange((HealChangeKind)kindValue, "x").DropsContent);

    [Fact]
    public void ToString_WithAndWithoutServerAndSource_NamesKindServerAndSourceOnly()
    {
        Assert.Equal("AddedEntry:molecule-platform", new HealChange(HealChangeKind.AddedEntry, "molecule-platform").ToString());
        Assert.Equal("AddedEntry:molecule-platform:last-seen", new HealChange(HealChangeKind.AddedEntry, "molecule-platform", EntrySource.LastSeen).ToString());
        Assert.Equal("ReplacedImpostor:p:configured", new HealChange(HealChangeKind.ReplacedImpostor, "p", EntrySource.Configured).ToString());
        Assert.Equal("RepairedRoot", new HealChange(HealChangeKind.RepairedRoot).ToString());
    }

    [Fact]
    public void ProtectedServer_MissingNameOrBothSpecAndReason_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ProtectedServer("", null, [], "no spec"));
        Assert.StartsWith("a server without a spec needs the reason", Assert.Throws<ArgumentException>(() => new ProtectedServer("x", null, [])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new ProtectedServer("x", null, null!, "no spec"));
        Assert.Throws<ArgumentNullException>(() => ProtectedServerSpecs.From("x", null!, _ => null));
        Assert.Throws<ArgumentNullException>(() => ProtectedServerSpecs.FromOptions(null!));
    }

    [Fact]
    public void Spec_EmptyMembers_AreOmitted()
    {
        var spec = ProtectedServerSpecs.Spec(new ProtectedServerOptions { Type = "", Command = "", Url = "" }, (_, v) => v);

        Assert.Equal("{}", spec.ToJsonString());
    }

    [Fact]
    public void Spec_EveryMember_InTheRuntimesKeyOrder()
    {
        var spec = ProtectedServerSpecs.Spec(new ProtectedServerOptions
        {
            Url = "https://u",
            Headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["H"] = "h" },
            Env = new Dictionary<string, string>(StringComparer.Ordinal) { ["E"] = "e", ["F"] = "f" },
            Args = ["a", "b"],
            Command = "c",
            Type = "stdio",
        }, (key, value) => key + "=" + value);

        Assert.Equal("""{"type":"stdio","command":"c","args":["a","b"],"env":{"E":"Env:E=e","F":"Env:F=f"},"url":"https://u","headers":{"H":"Headers:H=h"}}""", spec.ToJsonString());
    }
}
