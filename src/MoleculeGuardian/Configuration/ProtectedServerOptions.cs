namespace MoleculeGuardian.Configuration;

/// <summary>One protected <c>mcpServers</c> entry, written exactly as configured: unset members are omitted.</summary>
internal sealed class ProtectedServerOptions
{
    public string? Type { get; set; }

    public string? Command { get; set; }

    public List<string> Args { get; set; } = [];

    public Dictionary<string, string> Env { get; set; } = new(StringComparer.Ordinal);

    public string? Url { get; set; }

    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The runtime's own self-heal spec; the two must agree byte for byte or they would fight.</summary>
    public static ProtectedServerOptions ManagementDefault() => new()
    {
        Command = "molecule-platform-mcp",
        Env = new Dictionary<string, string>(StringComparer.Ordinal) { ["MOLECULE_MCP_MODE"] = "management" },
    };

    public const string ManagementName = "molecule-platform";
}
