using System.Text.Json.Nodes;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Configuration;

/// <summary>The protected entries as configured, turned into what the heal decision goes by.</summary>
internal static class ProtectedServerSpecs
{
    /// <summary>The management server with its defaults, its spec read from <paramref name="variable"/> (the process's environment by default).</summary>
    public static ProtectedServer ManagementDefault(Func<string, string?>? variable = null) =>
        From(ProtectedServerOptions.ManagementName, ProtectedServerOptions.ManagementDefault(), variable ?? Environment.GetEnvironmentVariable);

    public static IReadOnlyList<ProtectedServer> FromOptions(GuardianOptions options, Func<string, string?>? variable = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return [.. options.ProtectedServers.Select(p => From(p.Key, p.Value, variable ?? Environment.GetEnvironmentVariable))];
    }

    /// <summary>
    /// The server: its spec with every <c>${NAME}</c> replaced from <paramref name="variable"/> (no spec, and why,
    /// when one is unset), and its accepted shapes.
    /// </summary>
    public static ProtectedServer From(string name, ProtectedServerOptions options, Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? problem = null;
        var spec = Spec(options, (key, value) =>
        {
            var expanded = EnvReference.Expand(value, variable, out var missing);
            problem ??= missing is null ? null : $"Guardian:ProtectedServers:{name}:{key} names ${{{missing}}}, which is not set in the guardian's environment";
            return expanded ?? "";
        });
        var shapes = options.Accept.Select(s => new EntryShape(s.Key, s.Value.Command ?? "", s.Value.Flags, s.Value.Args, s.Value.EnvKeys)).ToList();
        return new ProtectedServer(name, problem is null ? SettingsJson.ToElement(spec) : null, shapes, problem);
    }

    /// <summary>
    /// The spec in the runtime's key order (<c>type</c>, <c>command</c>, <c>args</c>, <c>env</c>, <c>url</c>,
    /// <c>headers</c>); members that are not set are omitted. <paramref name="expand"/> turns each <c>Env</c> and
    /// <c>Headers</c> value (given with its configuration key) into what is written.
    /// </summary>
    public static JsonObject Spec(ProtectedServerOptions options, Func<string, string, string> expand)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(expand);
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
            spec["env"] = ToObject(options.Env, "Env", expand);
        }

        if (!string.IsNullOrEmpty(options.Url))
        {
            spec["url"] = options.Url;
        }

        if (options.Headers.Count > 0)
        {
            spec["headers"] = ToObject(options.Headers, "Headers", expand);
        }

        return spec;
    }

    private static JsonObject ToObject(Dictionary<string, string> values, string section, Func<string, string, string> expand)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in values)
        {
            obj[key] = expand($"{section}:{key}", value);
        }

        return obj;
    }
}
