using System.Text.Json.Nodes;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using static MoleculeGuardian.Tests.Healing.Decisions;

namespace MoleculeGuardian.Tests.Healing;

/// <summary>
/// What a heal does to the document around the protected entry: only <c>mcpServers.&lt;protected name&gt;</c> changes,
/// everything else keeps its value, its place and its text, and the output is what the Python writers produce.
/// </summary>
public sealed class HealTransformTests
{
    private static void AssertBaked(JsonObject document) =>
        Assert.True(JsonNode.DeepEquals(Node(Baked), Servers(document)["molecule-platform"]), document.ToJsonString());

    [Fact]
    public void ManagementDefault_Always_IsTheRuntimesSelfHealSpecByteForByte()
    {
        var plan = Decide("{}");

        Assert.Equal("{\n  \"mcpServers\": {\n    \"molecule-platform\": {\n      \"command\": \"molecule-platform-mcp\",\n      \"env\": {\n        \"MOLECULE_MCP_MODE\": \"management\"\n      }\n    }\n  }\n}\n", Text(plan));
    }

    [Fact]
    public void Heal_UserPluginMergeAddedImageGenBesideTheEntry_ChangesNothing()
    {
        // The runtime's per-plugin merge: {**old, **fragment} on mcpServers, after the self-heal wrote the entry.
        var plan = Decide("""{"mcpServers": {"molecule-platform": """ + Baked + """, "image-gen": {"command": "uvx", "args": ["image-gen-mcp"], "env": {"OPENAI_API_KEY": "sk-x"}}}, "hooks": {}}""");

        Assert.Equal(PlanKind.NoChange, plan.Kind);
        Assert.Empty(plan.Changes);
        Assert.Empty(plan.Content);
    }

    [Fact]
    public void Heal_PluginMergeOnFileWithoutEntry_AddsEntryAfterThePluginEntry()
    {
        var plan = Decide("""{"mcpServers": {"image-gen": {"command": "uvx"}}}""");

        Assert.Equal([new HealChange(HealChangeKind.AddedEntry, "molecule-platform", EntrySource.Configured)], plan.Changes);
        var written = Written(plan);
        Assert.Equal(["image-gen", "molecule-platform"], Servers(written).Select(p => p.Key));
        Assert.Equal("uvx", (string?)Servers(written)["image-gen"]!["command"]);
        AssertBaked(written);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""[{"mcpServers": {}}]""")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("false")]
    public void Heal_RootNotAnObject_RepairsRootWithOnlyTheProtectedEntriesAndKeepsACopy(string json)
    {
        foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
        {
            var plan = Decide(json, rules: Rules(policy));

            Assert.Equal(HealChangeKind.RepairedRoot, plan.Changes[0].Kind);
            Assert.Equal(KeepCopy.Corrupt, plan.Copy);
            Assert.Equal("the root is not a JSON object", plan.Reason);
            Assert.Equal("{\n  \"mcpServers\": {\n    \"molecule-platform\": {\n      \"command\": \"molecule-platform-mcp\",\n      \"env\": {\n        \"MOLECULE_MCP_MODE\": \"management\"\n      }\n    }\n  }\n}\n", Text(plan));
        }
    }

    [Fact]
    public void Heal_UnknownKeysOrderAndNumberText_ArePreservedExactly()
    {
        const string Input = """
            {"zeta": {"nested": [1.0, 1e5, -0, 12345678901234567890, 1E400, 0.10]}, "alpha": 1.0, "x-unknown": {"b": 2, "a": 1},
             "mcpServers": {"other": {"command": "o", "n": 1e5}}, "num": -0, "big": 12345678901234567890}
            """;

        var plan = Decide(Input);

        var written = Written(plan);
        Assert.Equal(["zeta", "alpha", "x-unknown", "mcpServers", "num", "big"], written.Select(p => p.Key));
        Assert.Equal(["b", "a"], written["x-unknown"]!.AsObject().Select(p => p.Key));
        var text = Text(plan);
        Assert.Contains("\"nested\": [\n      1.0,\n      1e5,\n      -0,\n      12345678901234567890,\n      1E400,\n      0.10\n    ]", text, StringComparison.Ordinal);
        Assert.Contains("\"alpha\": 1.0,", text, StringComparison.Ordinal);
        Assert.Contains("\"n\": 1e5", text, StringComparison.Ordinal);
        Assert.Contains("\"num\": -0,", text, StringComparison.Ordinal);
        Assert.Contains("\"big\": 12345678901234567890\n}", text, StringComparison.Ordinal);
        Assert.Equal(KeepCopy.None, plan.Copy);
    }

    [Fact]
    public void Heal_McpServersMissing_AddsItLast()
    {
        var plan = Decide("""{"hooks": {}, "env": {"A": "1"}, "permissions": {"allow": []}}""");

        Assert.Equal(
            [new HealChange(HealChangeKind.CreatedMcpServers), new HealChange(HealChangeKind.AddedEntry, "molecule-platform", EntrySource.Configured)],
            plan.Changes);
        Assert.DoesNotContain(plan.Changes, c => c.DropsContent);
        var written = Written(plan);
        Assert.Equal(["hooks", "env", "permissions", "mcpServers"], written.Select(p => p.Key));
        AssertBaked(written);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""[{"molecule-platform": {}}]""")]
    [InlineData("\"molecule-platform\"")]
    [InlineData("null")]
    [InlineData("7")]
    [InlineData("false")]
    public void Heal_McpServersNotAnObject_RepairsItInPlaceAndKeepsOtherKeys(string servers)
    {
        foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
        {
            var plan = Decide("""{"hooks": {"A": [1]}, "mcpServers": """ + servers + """, "z": {"k": "v"}}""", rules: Rules(policy));

            Assert.Equal(HealChangeKind.RepairedMcpServers, plan.Changes[0].Kind);
            Assert.True(plan.Changes[0].DropsContent);
            Assert.Equal(KeepCopy.Corrupt, plan.Copy);
            var written = Written(plan);
            Assert.Equal(["hooks", "mcpServers", "z"], written.Select(p => p.Key));
            Assert.True(JsonNode.DeepEquals(Node("""{"A": [1]}"""), written["hooks"]));
            Assert.True(JsonNode.DeepEquals(Node("""{"k": "v"}"""), written["z"]));
            Assert.Equal(["molecule-platform"], Servers(written).Select(p => p.Key));
            AssertBaked(written);
        }
    }

    [Fact]
    public void Heal_ReplacedEntryInTheMiddle_KeepsItsPosition()
    {
        var plan = Decide("""{"mcpServers": {"a": {"command": "a"}, "molecule-platform": {"command": "evil"}, "b": {"command": "b"}, "c": 1}}""");

        var written = Written(plan);
        Assert.Equal(["a", "molecule-platform", "b", "c"], Servers(written).Select(p => p.Key));
        AssertBaked(written);
    }

    [Fact]
    public void Heal_RepeatedProtectedName_TheLastIsTheOneJudgedAndTheFirstPlaceKept()
    {
        // Python reads the last value; an evil entry first and the baked one last is what the runtime sees: compliant.
        var compliant = Decide("""{"mcpServers": {"molecule-platform": {"command": "evil"}, "x": {}, "molecule-platform": """ + Baked + "}}");
        var evil = Decide("""{"mcpServers": {"molecule-platform": """ + Baked + """, "x": {}, "molecule-platform": {"command": "evil"}}}""");

        Assert.Equal(PlanKind.NoChange, compliant.Kind);
        var written = Written(evil);
        Assert.Equal(["molecule-platform", "x"], Servers(written).Select(p => p.Key));
        AssertBaked(written);
        Assert.Equal(KeepCopy.Replaced, evil.Copy);
    }

    [Fact]
    public void Heal_RepeatedKeysElsewhere_FoldedAsPythonReadsThemAndACopyKept()
    {
        var plan = Decide("""{"a": 1, "mcpServers": {}, "a": {"x": [2]}, "b": {"k": 1, "k": 2}}""");

        Assert.Equal("{\n  \"a\": {\n    \"x\": [\n      2\n    ]\n  },\n  \"mcpServers\": {\n    \"molecule-platform\": {\n      \"command\": \"molecule-platform-mcp\",\n      \"env\": {\n        \"MOLECULE_MCP_MODE\": \"management\"\n      }\n    }\n  },\n  \"b\": {\n    \"k\": 2\n  }\n}\n", Text(plan));
        Assert.Equal(KeepCopy.Replaced, plan.Copy);
        Assert.Equal("the file repeats keys; like the runtime, only the last value of each is kept", plan.Reason);
    }

    [Fact]
    public void Heal_MultipleProtectedServers_HandlesEachIndependently()
    {
        var http = ProtectedServerSpecs.From("http-one", new ProtectedServerOptions
        {
            Type = "http",
            Url = "https://example.com/mcp",
            Headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["X-Org"] = "o" },
        }, _ => null);
        var cmd = ProtectedServerSpecs.From("cmd-two", new ProtectedServerOptions { Command = "tool", Args = ["--a", "b"] }, _ => null);
        IReadOnlyList<ProtectedServer> servers = [Management, http, cmd];
        const string File = """{"mcpServers": {"cmd-two": {"command": "tool", "args": ["--a", "b"]}, "http-one": {"type": "http", "url": "https://evil"}}}""";

        var plan = Decide(File, rules: Rules(servers: servers));

        Assert.Equal(
            [new HealChange(HealChangeKind.AddedEntry, "molecule-platform", EntrySource.Configured), new HealChange(HealChangeKind.ReplacedImpostor, "http-one", EntrySource.Configured)],
            plan.Changes);
        var written = Written(plan);
        Assert.Equal(["cmd-two", "http-one", "molecule-platform"], Servers(written).Select(p => p.Key));
        Assert.Equal("""{"type":"http","url":"https://example.com/mcp","headers":{"X-Org":"o"}}""", Servers(written)["http-one"]!.ToJsonString());
        Assert.Equal("""{"command":"tool","args":["--a","b"]}""", Servers(written)["cmd-two"]!.ToJsonString());
        AssertBaked(written);

        var keep = Decide(File, rules: Rules(DriftPolicy.Keep, servers: servers));
        Assert.Equal([new HealChange(HealChangeKind.AddedEntry, "molecule-platform", EntrySource.Configured)], keep.Changes);
        Assert.Equal("https://evil", (string?)Servers(Written(keep))["http-one"]!["url"]);
        Assert.Equal(["http-one"], keep.LeftOut);
    }

    [Fact]
    public void Heal_McpServersMissingWithSeveralServers_AddsAllInConfiguredOrder()
    {
        IReadOnlyList<ProtectedServer> servers =
            [ProtectedServerSpecs.From("b", new ProtectedServerOptions { Command = "b" }, _ => null), ProtectedServerSpecs.From("a", new ProtectedServerOptions { Command = "a" }, _ => null)];

        var plan = Decide("{}", rules: Rules(servers: servers));

        Assert.Equal(["b", "a"], Servers(Written(plan)).Select(p => p.Key));
        Assert.Equal(3, plan.Changes.Count);
    }

    [Fact]
    public void Heal_ProtectedNameDiffersOnlyInCase_AddsTheExactName()
    {
        var plan = Decide("""{"mcpServers": {"Molecule-Platform": """ + Baked + "}}");

        Assert.Equal([new HealChange(HealChangeKind.AddedEntry, "molecule-platform", EntrySource.Configured)], plan.Changes);
        Assert.Equal(["Molecule-Platform", "molecule-platform"], Servers(Written(plan)).Select(p => p.Key));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("""{"mcpServers": null}""")]
    [InlineData("""{"mcpServers": {"molecule-platform": {"command": "evil"}}, "a": 1}""")]
    [InlineData("""{"a": 1, "a": 2, "mcpServers": {}}""")]
    public void Heal_HealedOutput_IsAFixedPoint(string json)
    {
        var once = Decide(json);

        var twice = Decide(Text(once), once.Memory);

        Assert.Equal(PlanKind.Write, once.Kind);
        Assert.Equal(PlanKind.NoChange, twice.Kind);
        Assert.DoesNotContain(twice.Notices, n => n.Kind != NoticeKind.Remembered);
    }

    [Fact]
    public void Heal_HealedFileTooLargeForTheLimit_RefusedWithNothingWritten()
    {
        // A minified file that indents into more than the limit: refused, not written cut short.
        var json = "{\"a\": [" + string.Join(",", Enumerable.Repeat("[[[[1]]]]", 200)) + "]}";

        var plan = Decide(json, rules: Rules(maxFileBytes: json.Length + 100));

        Assert.Equal(PlanKind.Refuse, plan.Kind);
        Assert.Empty(plan.Content);
        Assert.Equal($"the healed file would be more than {json.Length + 100} bytes, over Guardian:MaxFileBytes ({json.Length + 100})", plan.Reason);
    }
}
