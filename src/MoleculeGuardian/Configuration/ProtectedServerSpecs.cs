using System.Text.Json.Nodes;
using MoleculeGuardian.Healing;

namespace MoleculeGuardian.Configuration;

/// <summary>The protected entries as configured, turned into the canonical JSON the heal transform keeps.</summary>
internal static class ProtectedServerSpecs
{
    public static ProtectedServer ManagementDefault() =>
        From(ProtectedServerOptions.ManagementName, ProtectedServerOptions.ManagementDefault());

    /// <summary>Builds the canonical entry in the runtime's key order; members that are not set are omitted.</summary>
    public static ProtectedServer From(string name, ProtectedServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var spec = new JsonObject();
        if (!string.IsNullOrEmpty(options.Type))
        {
            spec["type"] = options.Type;
        }

        if (!string.IsNullOrEmpty(options.Command))
        {
            spec["command"] = options.Command;
        }

        if (options.Args.Count > 0)
        {
            spec["args"] = new JsonArray([.. options.Args.Select(a => (JsonNode?)JsonValue.Create(a))]);
        }

        if (options.Env.Count > 0)
        {
            spec["env"] = ToObject(options.Env);
        }

        if (!string.IsNullOrEmpty(options.Url))
        {
            spec["url"] = options.Url;
        }

        if (options.Headers.Count > 0)
        {
            spec["headers"] = ToObject(options.Headers);
        }

        return new ProtectedServer(name, spec);
    }

    public static IReadOnlyList<ProtectedServer> FromOptions(GuardianOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return [.. options.ProtectedServers.Select(p => From(p.Key, p.Value))];
    }

    private static JsonObject ToObject(Dictionary<string, string> values)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in values)
        {
            obj[key] = value;
        }

        return obj;
    }
}
