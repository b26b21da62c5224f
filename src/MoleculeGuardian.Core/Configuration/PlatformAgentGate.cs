namespace MoleculeGuardian.Configuration;

/// <summary>
/// Whether this container is a concierge, decided as the platform decides it today: the runtime's marker
/// <c>MOLECULE_PLATFORM_AGENT_IMAGE_BAKED</c> (stamped by the control plane on every concierge since 2026-07-19,
/// whatever its image), or the management plugin among <c>MOLECULE_DECLARED_PLUGINS</c> (the desired plugin set the
/// control plane passes, declaring that plugin only for the concierge; the marker is slated for removal). Either
/// signal can be switched off in <c>Guardian:Gate</c>. Anywhere else the guardian never touches the file.
/// </summary>
internal sealed class PlatformAgentGate(bool enabled, string reason)
{
    public const string MarkerVariable = "MOLECULE_PLATFORM_AGENT_IMAGE_BAKED";
    public const string DeclaredPluginsVariable = "MOLECULE_DECLARED_PLUGINS";

    public bool Enabled { get; } = enabled;

    /// <summary>Which signal opened the gate, or why it stays shut: names and the plugin only, for the log.</summary>
    public string Reason { get; } = reason;

    public static PlatformAgentGate From(Func<string, string?> variable, GateOptions options)
    {
        ArgumentNullException.ThrowIfNull(variable);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Marker && IsOn(variable(MarkerVariable)))
        {
            return new(true, $"{MarkerVariable} is on");
        }

        var plugin = options.ManagementPlugin;
        if (plugin.Length > 0 && Declares(variable(DeclaredPluginsVariable), plugin))
        {
            return new(true, $"{DeclaredPluginsVariable} declares {plugin}");
        }

        var marker = options.Marker ? $"{MarkerVariable} is unset or off" : $"{MarkerVariable} is not consulted (Guardian:Gate:Marker=false)";
        var declared = plugin.Length > 0 ? $"{DeclaredPluginsVariable} does not declare {plugin}" : $"{DeclaredPluginsVariable} is not consulted (Guardian:Gate:ManagementPlugin is empty)";
        return new(false, $"{marker}, and {declared}");
    }

    /// <summary>The runtime's rule: set unless empty, <c>0</c>, <c>false</c> or <c>no</c> (case-insensitive, blanks around ignored).</summary>
    public static bool IsOn(string? value)
    {
        var v = value?.Trim() ?? "";
        return v.Length > 0
            && v != "0"
            && !v.Equals("false", StringComparison.OrdinalIgnoreCase)
            && !v.Equals("no", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// True when a comma-separated list of plugin sources names <paramref name="plugin"/>: a bare name, or the last
    /// path segment of a source such as <c>gitea://molecule-ai/molecule-ai-plugin-molecule-platform-mcp#main</c>
    /// (a <c>#ref</c>, an <c>@ref</c> and a <c>.git</c> suffix are not part of the name). Case-insensitive, as
    /// repository names are.
    /// </summary>
    public static bool Declares(string? declared, string plugin)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        foreach (var source in (declared ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var name = source.Split('#')[0].TrimEnd('/');
            name = name[(name.LastIndexOf('/') + 1)..];
            if (name.IndexOf('@', StringComparison.Ordinal) is > 0 and var at)
            {
                name = name[..at];
            }

            if (name.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
            {
                name = name[..^4];
            }

            if (name.Equals(plugin, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The <c>Guardian:Gate</c> section: which of the platform's signals make this container a concierge.</summary>
internal sealed class GateOptions
{
    /// <summary>Honour <c>MOLECULE_PLATFORM_AGENT_IMAGE_BAKED</c>, the runtime's own marker.</summary>
    public bool Marker { get; set; } = true;

    /// <summary>The management plugin whose declaration in <c>MOLECULE_DECLARED_PLUGINS</c> opens the gate; empty ignores that variable.</summary>
    public string ManagementPlugin { get; set; } = "molecule-ai-plugin-molecule-platform-mcp";
}
