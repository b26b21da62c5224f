using System.Text.Json.Nodes;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Healing;

/// <summary>The hostile corpus in tests/corpus (see its README.md), shared by the transform and healer tests.</summary>
internal static class Corpus
{
    /// <summary>The real-looking settings file whose every prefix the tests also feed in (a torn write at every byte).</summary>
    public const string RealSettings = "real-settings.json";

    public static string Directory { get; } = RepoPaths.Of("tests", "corpus");

    /// <summary>Every corpus input: the files at the top of tests/corpus except the README and the generator.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [.. System.IO.Directory.GetFiles(Directory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => n is not "README.md" and not "generate.py")
            .Order(StringComparer.Ordinal)];

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names)
        {
            data.Add(name);
        }

        return data;
    }

    /// <summary>
    /// True when <paramref name="healed"/> carries everything of <paramref name="original"/>: every top-level key but
    /// mcpServers deep-equal, and every mcpServers entry deep-equal (the protected ones too, where they existed).
    /// </summary>
    public static bool Preserves(JsonNode? original, JsonObject healed)
    {
        if (original is not JsonObject root)
        {
            return false;
        }

        foreach (var (key, value) in root)
        {
            if (key == HealTransform.McpServersKey)
            {
                if (value is not JsonObject servers || healed[key] is not JsonObject healedServers)
                {
                    return false;
                }

                foreach (var (name, entry) in servers)
                {
                    if (!healedServers.TryGetPropertyValue(name, out var kept) || !JsonNode.DeepEquals(entry, kept))
                    {
                        return false;
                    }
                }
            }
            else if (!healed.TryGetPropertyValue(key, out var kept) || !JsonNode.DeepEquals(value, kept))
            {
                return false;
            }
        }

        return true;
    }

    public static JsonNode? TryParse(byte[] bytes)
    {
        if (!SettingsJson.TryParse(bytes, out var document, out _))
        {
            return null;
        }

        using (document)
        {
            return JsonNodes.Of(document!);
        }
    }

    public static bool Parses(byte[] bytes) => SettingsJson.TryParse(bytes, out _, out _);
}
