using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Tests.Support;

/// <summary>Settings documents as the runtime writes them, and the two ways it writes them.</summary>
internal static class SettingsFiles
{
    public const string Secret = "sk-live-SECRET-4f9a2c";

    /// <summary>A user plugin's entry with a secret in env, and other keys, but no protected entry.</summary>
    public static string WithoutProtected(int generation = 0) => $$"""
        {
          "mcpServers": {
            "image-gen": {
              "command": "npx",
              "args": ["-y", "@acme/image-gen"],
              "env": {"IMAGE_API_KEY": "{{Secret}}"}
            }
          },
          "hooks": {"PreToolUse": []},
          "permissions": {"allow": ["Bash(ls:*)"]},
          "generation": {{generation}}
        }
        """;

    /// <summary>The privileged plugin's richer entry for the protected name, secrets and all (drift under Replace).</summary>
    public static string WithDriftedProtected() => $$"""
        {
          "mcpServers": {
            "molecule-platform": {
              "command": "npx",
              "args": ["-y", "@molecule-ai/mcp-server@1.2.3"],
              "env": {"MOLECULE_API_URL": "https://api.example.invalid", "MOLECULE_ADMIN_TOKEN": "{{Secret}}"}
            }
          }
        }
        """;

    /// <summary>True when the file parses and holds the canonical protected entry (false while it is torn or absent).</summary>
    public static bool Complies(string path)
    {
        try
        {
            return SettingsJson.TryParse(File.ReadAllBytes(path), out var doc, out _)
                && HealTransform.Complies(doc, [ProtectedServerSpecs.ManagementDefault()], DriftPolicy.Replace);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The "generation" a test wrote into the file, or -1 when it cannot be read.</summary>
    public static int Generation(string path)
    {
        try
        {
            return SettingsJson.TryParse(File.ReadAllBytes(path), out var doc, out _) && doc?["generation"] is { } g ? g.GetValue<int>() : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>The runtime's plugin merge: a plain truncate-then-write, no temp file, no fsync.</summary>
    public static void WriteInPlace(string path, string content) => File.WriteAllText(path, content);

    /// <summary>Another writer's atomic replace: a temp file, then a rename over the target.</summary>
    public static void WriteByRename(string path, string content)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
