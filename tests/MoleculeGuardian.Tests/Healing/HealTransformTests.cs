using System.Text.Json.Nodes;
using System.Text;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Tests.Healing;

public sealed class HealTransformTests
{
    private const string Canonical = """{"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": "management"}}""";
    private static readonly IReadOnlyList<ProtectedServer> Management = [ProtectedServerSpecs.ManagementDefault()];

    private static JsonNode? Parse(string json)
    {
        Assert.True(SettingsJson.TryParse(Encoding.UTF8.GetBytes(json), out var node, out var error), error);
        return node;
    }

    private static string Text(JsonNode? node) => Encoding.UTF8.GetString(SettingsJson.Serialize(node));

    private static JsonObject Servers(JsonNode document) => document["mcpServers"]!.AsObject();

    private static void AssertCanonical(JsonNode document) =>
        Assert.True(JsonNode.DeepEquals(Parse(Canonical), Servers(document)["molecule-platform"]), Text(document));

    [Fact]
    public void ManagementDefault_Always_IsTheRuntimesSelfHealSpecByteForByte()
    {
        var spec = ProtectedServerSpecs.ManagementDefault();
        Assert.Equal("molecule-platform", spec.Name);
        Assert.Equal("{\n  \"command\": \"molecule-platform-mcp\",\n  \"env\": {\n    \"MOLECULE_MCP_MODE\": \"management\"\n  }\n}\n", Text(spec.Spec));
    }

    [Fact]
    public void Heal_UserPluginMergeOverwroteNothingButAddedImageGen_KeepsBothEntries()
    {
        // The runtime's per-plugin merge: {**old, **fragment} on mcpServers, after the self-heal wrote the entry.
        var old = Parse("""{"mcpServers": {"molecule-platform": """ + Canonical + """}, "hooks": {}}""")!.AsObject();
        var fragment = Parse("""{"image-gen": {"command": "uvx", "args": ["image-gen-mcp"], "env": {"OPENAI_API_KEY": "sk-x"}}}""")!.AsObject();
        var merged = new JsonObject();
        foreach (var (k, v) in Servers(old))
        {
            merged[k] = v!.DeepClone();
        }

        foreach (var (k, v) in fragment)
        {
            merged[k] = v!.DeepClone();
        }

        var file = Parse(Text(new JsonObject { ["mcpServers"] = merged, ["hooks"] = new JsonObject() }));

        var result = HealTransform.Heal(file, Management, DriftPolicy.Replace);

        Assert.False(result.Changed);
        Assert.Same(file, result.Document);
        Assert.Equal(["molecule-platform", "image-gen"], Servers(result.Document).Select(p => p.Key));
        Assert.True(JsonNode.DeepEquals(fragment["image-gen"], Servers(result.Document)["image-gen"]));
    }

    [Fact]
    public void Heal_PluginMergeOnFileWithoutEntry_AddsEntryAndKeepsPluginEntryFirst()
    {
        var file = Parse("""{"mcpServers": {"image-gen": {"command": "uvx"}}}""");

        var result = HealTransform.Heal(file, Management, DriftPolicy.Replace);

        Assert.Equal([new HealChange(HealChangeKind.AddedEntry, "molecule-platform")], result.Changes);
        Assert.Equal(["image-gen", "molecule-platform"], Servers(result.Document).Select(p => p.Key));
        Assert.Equal("uvx", (string?)Servers(result.Document)["image-gen"]!["command"]);
        AssertCanonical(result.Document);
    }

    [Fact]
    public void Heal_EntryMissingUnderKeep_AddsEntry()
    {
        var result = HealTransform.Heal(Parse("""{"mcpServers": {}}"""), Management, DriftPolicy.Keep);

        Assert.Equal([new HealChange(HealChangeKind.AddedEntry, "molecule-platform")], result.Changes);
        AssertCanonical(result.Document);
    }

    public static TheoryData<string> DriftedEntries => new()
    {
        """{"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": "management", "ADMIN_TOKEN": "sk-SECRET"}}""",
        """{"command": "npx", "env": {"MOLECULE_MCP_MODE": "management"}}""",
        """{"command": "molecule-platform-mcp", "args": ["-y"], "env": {"MOLECULE_MCP_MODE": "management"}}""",
        """{"command": "molecule-platform-mcp", "args": [], "env": {"MOLECULE_MCP_MODE": "management"}}""",
        """{"type": "stdio", "command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": "management"}}""",
        """{"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": "user"}}""",
        """{"command": "molecule-platform-mcp", "env": {}}""",
        """{"command": "molecule-platform-mcp"}""",
        """{"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": "Management"}}""",
        """{"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": 1}}""",
        """{}""",
    };

    /// <summary>Protected entries that are not even objects: no policy keeps them, the executor could not use them.</summary>
    public static TheoryData<string> NonObjectEntries => new()
    {
        """null""",
        "\"molecule-platform-mcp\"",
        """[]""",
        """42""",
    };

    [Theory]
    [MemberData(nameof(DriftedEntries))]
    [MemberData(nameof(NonObjectEntries))]
    public void Heal_DriftedEntryUnderReplace_ReplacesWithCanonical(string entry)
    {
        var file = Parse("""{"a": 1, "mcpServers": {"x": {"command": "x"}, "molecule-platform": """ + entry + """, "y": {}}, "z": 2}""");

        var result = HealTransform.Heal(file, Management, DriftPolicy.Replace);

        Assert.Equal([new HealChange(HealChangeKind.ReplacedDrift, "molecule-platform")], result.Changes);
        Assert.True(result.Changes[0].DropsContent);
        AssertCanonical(result.Document);
        Assert.Equal(["x", "molecule-platform", "y"], Servers(result.Document).Select(p => p.Key));
        Assert.Equal(["a", "mcpServers", "z"], result.Document.Select(p => p.Key));
    }

    [Theory]
    [MemberData(nameof(DriftedEntries))]
    public void Heal_DriftedEntryUnderKeep_KeepsItAndReturnsSameInstance(string entry)
    {
        var file = Parse("""{"mcpServers": {"molecule-platform": """ + entry + """}}""");

        var result = HealTransform.Heal(file, Management, DriftPolicy.Keep);

        Assert.Empty(result.Changes);
        Assert.Same(file, result.Document);
        Assert.True(JsonNode.DeepEquals(Parse(entry), Servers(result.Document)["molecule-platform"]));
    }

    [Theory]
    [MemberData(nameof(NonObjectEntries))]
    public void Heal_NonObjectEntryUnderKeep_IsReplacedWithCanonical(string entry)
    {
        var file = Parse("""{"mcpServers": {"a": {}, "molecule-platform": """ + entry + """, "b": {}}}""");

        var result = HealTransform.Heal(file, Management, DriftPolicy.Keep);

        Assert.Equal([new HealChange(HealChangeKind.ReplacedDrift, "molecule-platform")], result.Changes);
        AssertCanonical(result.Document);
        Assert.Equal(["a", "molecule-platform", "b"], Servers(result.Document).Select(p => p.Key));
    }

    [Fact]
    public void Heal_NotJsonAtAll_RepairsRoot()
    {
        var result = HealTransform.Heal(null, Management, DriftPolicy.Replace);

        Assert.Equal(HealChangeKind.RepairedRoot, result.Changes[0].Kind);
        Assert.Equal(["mcpServers"], result.Document.Select(p => p.Key));
        AssertCanonical(result.Document);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""[{"mcpServers": {}}]""")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("false")]
    public void Heal_RootNotAnObject_RepairsRootWithOnlyTheProtectedEntries(string json)
    {
        var result = HealTransform.Heal(Parse(json), Management, DriftPolicy.Keep);

        Assert.Equal(HealChangeKind.RepairedRoot, result.Changes[0].Kind);
        Assert.True(result.Changes[0].DropsContent);
        Assert.Equal("{\n  \"mcpServers\": {\n    \"molecule-platform\": {\n      \"command\": \"molecule-platform-mcp\",\n      \"env\": {\n        \"MOLECULE_MCP_MODE\": \"management\"\n      }\n    }\n  }\n}\n", Text(result.Document));
    }

    [Fact]
    public void Heal_OrdinaryCompliantDocument_ReturnsSameInstanceWithoutChanges()
    {
        var file = Parse("""{"hooks": {"PreToolUse": []}, "mcpServers": {"github": {"command": "npx"}, "molecule-platform": """ + Canonical + """}, "env": {"A": "1"}}""");
        var before = Text(file);

        var result = HealTransform.Heal(file, Management, DriftPolicy.Replace);

        Assert.Same(file, result.Document);
        Assert.Empty(result.Changes);
        Assert.False(result.Changed);
        Assert.Equal(before, Text(result.Document));
    }

    [Fact]
    public void Heal_EnvKeysInOtherOrder_CountsAsCompliantLikePythonDictEquality()
    {
        // Decision: JsonNode.DeepEquals compares objects by key, not by order, as Python's dict == does in the
        // runtime's self-heal; a reordered entry is canonical and is not rewritten (the two never fight over order).
        var spec = new ProtectedServer("multi", Parse("""{"command": "c", "env": {"A": "1", "B": "2"}}""")!.AsObject());
        var file = Parse("""{"mcpServers": {"multi": {"env": {"B": "2", "A": "1"}, "command": "c"}}}""");

        Assert.True(JsonNode.DeepEquals(Parse("""{"A": "1", "B": "2"}"""), Parse("""{"B": "2", "A": "1"}""")));
        var result = HealTransform.Heal(file, [spec], DriftPolicy.Replace);

        Assert.Empty(result.Changes);
        Assert.Same(file, result.Document);
        Assert.True(HealTransform.Complies(file, [spec], DriftPolicy.Replace));
    }

    [Fact]
    public void Heal_ArgsInOtherOrder_IsDrift()
    {
        var spec = new ProtectedServer("p", Parse("""{"command": "c", "args": ["a", "b"]}""")!.AsObject());
        var file = Parse("""{"mcpServers": {"p": {"command": "c", "args": ["b", "a"]}}}""");

        var result = HealTransform.Heal(file, [spec], DriftPolicy.Replace);

        Assert.Equal([new HealChange(HealChangeKind.ReplacedDrift, "p")], result.Changes);
    }

    [Fact]
    public void Heal_UnknownKeysOrderAndNumberText_ArePreservedExactly()
    {
        const string Input = """
            {"zeta": {"nested": [1.0, 1e5, -0, 12345678901234567890, 1E400, 0.10]}, "alpha": 1.0, "x-unknown": {"b": 2, "a": 1},
             "mcpServers": {"other": {"command": "o", "n": 1e5}}, "num": -0, "big": 12345678901234567890}
            """;
        var file = Parse(Input);

        var result = HealTransform.Heal(file, Management, DriftPolicy.Replace);

        Assert.Equal(["zeta", "alpha", "x-unknown", "mcpServers", "num", "big"], result.Document.Select(p => p.Key));
        Assert.Equal(["b", "a"], result.Document["x-unknown"]!.AsObject().Select(p => p.Key));
        var text = Text(result.Document);
        Assert.Contains("\"nested\": [\n      1.0,\n      1e5,\n      -0,\n      12345678901234567890,\n      1E400,\n      0.10\n    ]", text, StringComparison.Ordinal);
        Assert.Contains("\"alpha\": 1.0,", text, StringComparison.Ordinal);
        Assert.Contains("\"n\": 1e5", text, StringComparison.Ordinal);
        Assert.Contains("\"num\": -0,", text, StringComparison.Ordinal);
        Assert.Contains("\"big\": 12345678901234567890\n}", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_McpServersMissing_AddsItLast()
    {
        var file = Parse("""{"hooks": {}, "env": {"A": "1"}, "permissions": {"allow": []}}""");

        var result = HealTransform.Heal(file, Management, DriftPolicy.Replace);

        Assert.Equal(
            [new HealChange(HealChangeKind.CreatedMcpServers), new HealChange(HealChangeKind.AddedEntry, "molecule-platform")],
            result.Changes);
        Assert.DoesNotContain(result.Changes, c => c.DropsContent);
        Assert.Equal(["hooks", "env", "permissions", "mcpServers"], result.Document.Select(p => p.Key));
        AssertCanonical(result.Document);
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
        var file = Parse("""{"hooks": {"A": [1]}, "mcpServers": """ + servers + """, "z": {"k": "v"}}""");

        foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
        {
            var result = HealTransform.Heal(file, Management, policy);

            Assert.Equal(HealChangeKind.RepairedMcpServers, result.Changes[0].Kind);
            Assert.True(result.Changes[0].DropsContent);
            Assert.Equal(["hooks", "mcpServers", "z"], result.Document.Select(p => p.Key));
            Assert.True(JsonNode.DeepEquals(Parse("""{"A": [1]}"""), result.Document["hooks"]));
            Assert.True(JsonNode.DeepEquals(Parse("""{"k": "v"}"""), result.Document["z"]));
            Assert.Equal(["molecule-platform"], Servers(result.Document).Select(p => p.Key));
            AssertCanonical(result.Document);
        }
    }

    [Theory]
    [InlineData("""{"mcpServers": {"molecule-platform": {"command": "evil"}}, "a": [1, {"b": 2}]}""")]
    [InlineData("""{"a": 1}""")]
    [InlineData("""{"mcpServers": []}""")]
    [InlineData("""[1, 2]""")]
    [InlineData("""{"mcpServers": {"x": {"env": {"K": "V"}}}}""")]
    public void Heal_AnyInput_NeverMutatesTheInput(string json)
    {
        var file = Parse(json);
        var before = Text(file);

        foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
        {
            var result = HealTransform.Heal(file, Management, policy);
            Assert.Equal(result.Changed, !ReferenceEquals(file, result.Document));
            if (result.Changed)
            {
                // Mutating a new result must not reach the input (or the shared canonical spec) either.
                Servers(result.Document)["molecule-platform"]!["env"]!["MOLECULE_MCP_MODE"] = "tampered";
                Servers(result.Document)["added-by-test"] = 1;
                result.Document["added-by-test"] = 1;
            }
        }

        Assert.Equal(before, Text(file));
        Assert.Equal("management", (string?)ProtectedServerSpecs.ManagementDefault().Spec["env"]!["MOLECULE_MCP_MODE"]);
    }

    [Fact]
    public void Heal_SharedSpecInstance_IsNeverMutatedOrAliased()
    {
        var spec = ProtectedServerSpecs.ManagementDefault();
        var first = HealTransform.Heal(Parse("{}"), [spec], DriftPolicy.Replace).Document;
        Servers(first)["molecule-platform"]!["command"] = "tampered";

        var second = HealTransform.Heal(Parse("{}"), [spec], DriftPolicy.Replace).Document;

        Assert.Equal("molecule-platform-mcp", (string?)spec.Spec["command"]);
        AssertCanonical(second);
    }

    [Fact]
    public void Heal_ReplacedEntryInTheMiddle_KeepsItsPosition()
    {
        var file = Parse("""{"mcpServers": {"a": {"command": "a"}, "molecule-platform": {"command": "npx"}, "b": {"command": "b"}, "c": 1}}""");

        var result = HealTransform.Heal(file, Management, DriftPolicy.Replace);

        Assert.Equal(["a", "molecule-platform", "b", "c"], Servers(result.Document).Select(p => p.Key));
        AssertCanonical(result.Document);
    }

    [Fact]
    public void Heal_MultipleProtectedServers_HandlesEachIndependently()
    {
        var http = ProtectedServerSpecs.From("http-one", new ProtectedServerOptions
        {
            Type = "http",
            Url = "https://example.com/mcp",
            Headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["X-Org"] = "o" },
        });
        var cmd = ProtectedServerSpecs.From("cmd-two", new ProtectedServerOptions { Command = "tool", Args = ["--a", "b"] });
        IReadOnlyList<ProtectedServer> servers = [ProtectedServerSpecs.ManagementDefault(), http, cmd];
        var file = Parse("""{"mcpServers": {"cmd-two": {"command": "tool", "args": ["--a", "b"]}, "http-one": {"type": "http", "url": "https://evil"}}}""");

        var result = HealTransform.Heal(file, servers, DriftPolicy.Replace);

        Assert.Equal(
            [new HealChange(HealChangeKind.AddedEntry, "molecule-platform"), new HealChange(HealChangeKind.ReplacedDrift, "http-one")],
            result.Changes);
        Assert.Equal(["cmd-two", "http-one", "molecule-platform"], Servers(result.Document).Select(p => p.Key));
        Assert.True(JsonNode.DeepEquals(http.Spec, Servers(result.Document)["http-one"]));
        Assert.Equal("""{"type":"http","url":"https://example.com/mcp","headers":{"X-Org":"o"}}""", http.Spec.ToJsonString());
        Assert.True(JsonNode.DeepEquals(cmd.Spec, Servers(result.Document)["cmd-two"]));
        AssertCanonical(result.Document);

        var keep = HealTransform.Heal(file, servers, DriftPolicy.Keep);
        Assert.Equal([new HealChange(HealChangeKind.AddedEntry, "molecule-platform")], keep.Changes);
        Assert.Equal("https://evil", (string?)Servers(keep.Document)["http-one"]!["url"]);
    }

    [Fact]
    public void Heal_McpServersMissingWithSeveralServers_AddsAllInConfiguredOrder()
    {
        IReadOnlyList<ProtectedServer> servers =
            [ProtectedServerSpecs.From("b", new ProtectedServerOptions { Command = "b" }), ProtectedServerSpecs.From("a", new ProtectedServerOptions { Command = "a" })];

        var result = HealTransform.Heal(Parse("{}"), servers, DriftPolicy.Replace);

        Assert.Equal(["b", "a"], Servers(result.Document).Select(p => p.Key));
        Assert.Equal(3, result.Changes.Count);
    }

    [Fact]
    public void Heal_ProtectedNameDiffersOnlyInCase_AddsTheExactName()
    {
        var file = Parse("""{"mcpServers": {"Molecule-Platform": """ + Canonical + """}}""");

        var result = HealTransform.Heal(file, Management, DriftPolicy.Replace);

        Assert.Equal([new HealChange(HealChangeKind.AddedEntry, "molecule-platform")], result.Changes);
        Assert.Equal(["Molecule-Platform", "molecule-platform"], Servers(result.Document).Select(p => p.Key));
    }

    [Fact]
    public void Heal_HealedOutput_IsIdempotent()
    {
        var file = Parse("""{"mcpServers": {"molecule-platform": {"command": "npx"}}, "a": 1}""");

        var once = HealTransform.Heal(file, Management, DriftPolicy.Replace);
        var twice = HealTransform.Heal(once.Document, Management, DriftPolicy.Replace);

        Assert.True(once.Changed);
        Assert.False(twice.Changed);
        Assert.Same(once.Document, twice.Document);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("""{"mcpServers": null}""")]
    [InlineData("""{"mcpServers": {}}""")]
    [InlineData("""{"mcpServers": {"molecule-platform": {"command": "npx"}}}""")]
    [InlineData("""{"mcpServers": {"molecule-platform": {"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": "management"}}}}""")]
    [InlineData("""{"mcpServers": {"molecule-platform": {"env": {"MOLECULE_MCP_MODE": "management"}, "command": "molecule-platform-mcp"}}}""")]
    public void Complies_AnyDocument_AgreesWithHealChanged(string json)
    {
        var file = Parse(json);
        foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
        {
            Assert.Equal(!HealTransform.Heal(file, Management, policy).Changed, HealTransform.Complies(file, Management, policy));
        }

        Assert.False(HealTransform.Complies(null, Management, DriftPolicy.Keep));
    }

    [Fact]
    public void Heal_NullServers_ThrowsNamingTheArgument() =>
        Assert.Equal("servers", Assert.Throws<ArgumentNullException>(() => HealTransform.Heal(new JsonObject(), null!, DriftPolicy.Replace)).ParamName);
}
