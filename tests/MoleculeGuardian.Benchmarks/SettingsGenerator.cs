using System.Globalization;
using System.Text.Json.Nodes;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Benchmarks;

/// <summary>
/// Realistic settings.json documents as the runtime writes them (REFERENCE.md): <c>env</c>, <c>permissions</c>
/// allow/deny lists, de-duplicated <c>hooks</c> per event, and many <c>mcpServers</c> entries shaped like the
/// privileged plugin's (<c>npx</c> + <c>args</c> + an <c>env</c> with secret-like values), serialized the way Python's
/// <c>json.dumps(indent=2) + "\n"</c> does. Deterministic: the same size always gives the same bytes.
/// </summary>
public static class SettingsGenerator
{
    public const string ProtectedName = "molecule-platform";

    private static readonly string[] HookEvents = ["PreToolUse", "PostToolUse", "SessionStart", "UserPromptSubmit", "Stop", "Notification"];
    private static readonly string[] Tools = ["Bash", "Edit", "Write", "Read", "WebFetch", "Glob", "Grep", "mcp__github__create_issue"];

    /// <summary>Both variants of a document of about <paramref name="targetBytes"/>: one without the protected entry, one with it.</summary>
    public static (byte[] NeedsHeal, byte[] Healthy) Generate(int targetBytes)
    {
        // Size grows linearly with the step count: estimate, then refine a few times.
        var steps = 1;
        for (var round = 0; round < 6; round++)
        {
            var size = SettingsJson.Serialize(Build(steps, withProtected: true)).Length;
            if (Math.Abs(size - targetBytes) < targetBytes / 50)
            {
                break;
            }

            steps = Math.Max(1, (int)Math.Round(steps * (double)targetBytes / size));
        }

        return (SettingsJson.Serialize(Build(steps, withProtected: false)), SettingsJson.Serialize(Build(steps, withProtected: true)));
    }

    private static JsonObject Build(int steps, bool withProtected)
    {
        var allow = new JsonArray();
        var deny = new JsonArray();
        var hooks = new JsonObject();
        var servers = new JsonObject();
        for (var i = 0; i < steps; i++)
        {
            var s = i.ToString(CultureInfo.InvariantCulture);
            servers[$"plugin-{s}-mcp"] = new JsonObject
            {
                ["command"] = "npx",
                ["args"] = new JsonArray("-y", $"@molecule-ai/plugin-{s}-mcp@1.{i % 17}.{i % 5}"),
                ["env"] = new JsonObject
                {
                    ["API_URL"] = $"https://api-{s}.example.internal/v1",
                    ["API_KEY"] = $"sk-live-{Hex(i, 32)}",
                    ["ORG_ID"] = $"org_{Hex(i * 7, 12)}",
                },
            };

            // The protected entry sits among the others, the way a merge leaves it.
            if (withProtected && i == steps / 2)
            {
                servers[ProtectedName] = new JsonObject
                {
                    ["command"] = "molecule-platform-mcp",
                    ["env"] = new JsonObject { ["MOLECULE_MCP_MODE"] = "management" },
                };
            }

            if (i % 2 == 0)
            {
                allow.Add($"{Tools[i % Tools.Length]}(npm run test:{s}*)");
                deny.Add($"Read(./secrets/{s}/**)");
            }

            if (i % 3 == 0)
            {
                var evt = HookEvents[(i / 3) % HookEvents.Length];
                if (hooks[evt] is not JsonArray list)
                {
                    list = [];
                    hooks[evt] = list;
                }

                list.Add(new JsonObject
                {
                    ["matcher"] = Tools[i % Tools.Length],
                    ["hooks"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "command",
                        ["command"] = $"/configs/plugins/plugin-{s}/hooks/{evt.ToLowerInvariant()}.sh",
                        ["timeout"] = 30,
                    }),
                });
            }
        }

        return new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/claude-code-settings.json",
            ["model"] = "claude-sonnet-4-5",
            ["env"] = new JsonObject { ["MOLECULE_WORKSPACE"] = "/workspace", ["DISABLE_TELEMETRY"] = "1", ["MAX_THINKING_TOKENS"] = 8000 },
            ["permissions"] = new JsonObject { ["allow"] = allow, ["deny"] = deny, ["defaultMode"] = "acceptEdits" },
            ["hooks"] = hooks,
            ["mcpServers"] = servers,
            ["includeCoAuthoredBy"] = false,
        };
    }

    private static string Hex(int seed, int length)
    {
        var chars = new char[length];
        var x = (uint)seed * 2654435761u + 12345u;
        for (var i = 0; i < length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            chars[i] = "0123456789abcdef"[(int)(x & 15)];
        }

        return new string(chars);
    }
}
