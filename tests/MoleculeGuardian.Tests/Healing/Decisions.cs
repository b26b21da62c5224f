using System.Text;
using System.Text.Json.Nodes;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Healing;

/// <summary>The heal decision driven by hand: observations, rules and memory as plain data.</summary>
internal static class Decisions
{
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    /// <summary>The baked spec as the runtime's self-heal writes it.</summary>
    public const string Baked = """{"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": "management"}}""";

    /// <summary>Today's entry as the management plugin delivers it, with org-admin values in env.</summary>
    public const string Npx = """
        {"command": "npx", "args": ["-y", "--prefer-offline", "@molecule-ai/mcp-server@^1.8.0"],
         "env": {"MOLECULE_MCP_MODE": "management", "npm_config_cache": "/home/agent/.npm", "MOLECULE_API_URL": "https://api.example.invalid",
                 "MOLECULE_API_KEY": "sk-org-SECRET-1", "MOLECULE_ORG_API_KEY": "sk-org-SECRET-2", "MOLECULE_ORG_ID": "org-1",
                 "WORKSPACE_ID": "ws-1", "PLATFORM_URL": "https://platform.example.invalid"}}
        """;

    public static ProtectedServer Management { get; } = ProtectedServerSpecs.ManagementDefault(_ => null);

    /// <summary>Every command resolves: the baked image, where the binary is on PATH.</summary>
    public static string? AllRunnable(string command) => null;

    /// <summary>Nothing resolves: a machine where neither the binary nor npx is there.</summary>
    public static string? NoneRunnable(string command) => "is not on PATH (/usr/bin)";

    /// <summary>Today's image: npx is there, the baked binary is not.</summary>
    public static string? Today(string command) => command == "npx" ? null : "is not on PATH (/usr/local/bin:/usr/bin)";

    public static HealRules Rules(DriftPolicy policy = DriftPolicy.Replace, Func<string, string?>? runnable = null, IReadOnlyList<ProtectedServer>? servers = null,
        long maxFileBytes = 4 << 20, int maxValues = SettingsJson.MaxValues) =>
        new(servers ?? [Management], policy, Settle, maxFileBytes, runnable ?? AllRunnable, maxValues);

    public static Observation File(string json, TimeSpan at = default, FileVersion? version = null) => File(Encoding.UTF8.GetBytes(json), at, version);

    public static Observation File(byte[] bytes, TimeSpan at = default, FileVersion? version = null) =>
        new(SeenKind.File, bytes, version ?? new FileVersion(1, 1, bytes.Length, 1, 1), at);

    public static Observation NoFile(TimeSpan at = default) => new(SeenKind.NoFile, default, null, at);

    public static HealPlan Decide(string json, HealMemory? memory = null, HealRules? rules = null) =>
        HealDecision.Decide(File(json), memory ?? HealMemory.Empty, rules ?? Rules());

    /// <summary>The written file, read back by the guardian's own reader.</summary>
    public static JsonObject Written(HealPlan plan)
    {
        Assert.Equal(PlanKind.Write, plan.Kind);
        return Assert.IsType<JsonObject>(JsonNodes.Parse(plan.Content));
    }

    public static string Text(HealPlan plan) => Encoding.UTF8.GetString(plan.Content);

    public static JsonObject Servers(JsonObject document) => document["mcpServers"]!.AsObject();

    public static JsonNode? Node(string json) => JsonNodes.Parse(json);

    /// <summary>A memory that has seen <paramref name="entry"/> under the protected name (as after a read of a file holding it).</summary>
    public static HealMemory Seen(string entry)
    {
        var plan = Decide("""{"mcpServers": {"molecule-platform": """ + entry + "}}");
        Assert.Equal(PlanKind.NoChange, plan.Kind);
        Assert.True(plan.Memory.LastAccepted.ContainsKey("molecule-platform"), "the entry was not of an accepted shape");
        return plan.Memory;
    }
}
