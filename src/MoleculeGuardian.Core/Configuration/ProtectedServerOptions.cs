namespace MoleculeGuardian.Configuration;

/// <summary>
/// One protected <c>mcpServers</c> entry: the spec to write when nothing better is known (written exactly as
/// configured, unset members omitted; <c>Env</c> and <c>Headers</c> values may name the guardian's own environment
/// variables as <c>${NAME}</c>), and the shapes an entry there may have and be left alone.
/// </summary>
internal sealed class ProtectedServerOptions
{
    public const string ManagementName = "molecule-platform";

    public string? Type { get; set; }

    public string? Command { get; set; }

    public List<string> Args { get; set; } = [];

    public Dictionary<string, string> Env { get; set; } = new(StringComparer.Ordinal);

    public string? Url { get; set; }

    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Accepted shapes by name. None: the entry must be exactly the spec.</summary>
    public Dictionary<string, ShapeOptions> Accept { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The management server: the spec is the runtime's own self-heal spec (byte for byte, or the two would rewrite
    /// each other on the baked image), and the accepted shapes are the two the platform delivers: the baked binary,
    /// and the management plugin's npx launch of <c>@molecule-ai/mcp-server</c> (any version range).
    /// </summary>
    public static ProtectedServerOptions ManagementDefault() => new()
    {
        Command = "molecule-platform-mcp",
        Env = new Dictionary<string, string>(StringComparer.Ordinal) { ["MOLECULE_MCP_MODE"] = "management" },
        Accept = new Dictionary<string, ShapeOptions>(StringComparer.Ordinal)
        {
            ["baked"] = new() { Command = "molecule-platform-mcp", EnvKeys = [.. PlatformEnvKeys] },
            ["npx"] = new()
            {
                Command = "npx",
                Flags = ["-y", "--yes", "--prefer-offline"],
                Args = ["@molecule-ai/mcp-server|@molecule-ai/mcp-server@*"],
                EnvKeys = [.. PlatformEnvKeys],
            },
        },
    };

    /// <summary>The env keys the platform sets on its entry: its own namespaces, the workspace, and npm's cache and config file.</summary>
    public static readonly IReadOnlyList<string> PlatformEnvKeys =
    [
        "MOLECULE_*", "ORG_*", "WORKSPACE_ID", "PLATFORM_URL", "AUDIT_ACTOR",
        "npm_config_cache", "NPM_CONFIG_CACHE", "npm_config_userconfig", "NPM_CONFIG_USERCONFIG",
    ];
}

/// <summary>One accepted shape (README, "The platform today"): patterns where <c>*</c> matches any run of characters and <c>|</c> separates alternatives.</summary>
internal sealed class ShapeOptions
{
    public string? Command { get; set; }

    /// <summary>Options that may come first, each at most once (npx's <c>-y</c>).</summary>
    public List<string> Flags { get; set; } = [];

    /// <summary>One pattern per argument after the flags, in order.</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>Patterns every <c>env</c> key must match one of.</summary>
    public List<string> EnvKeys { get; set; } = [];
}
