using System.Text.Json;
using MoleculeGuardian.Healing;
using static MoleculeGuardian.Tests.Healing.Decisions;

namespace MoleculeGuardian.Tests.Healing;

/// <summary>
/// The default accepted shapes of <c>molecule-platform</c>: what the platform delivers is accepted, anything that would
/// run another program (or the same one differently) with the org's key is not.
/// </summary>
public sealed class EntryShapeTests
{
    private static string? ShapeOf(string entry)
    {
        using var document = JsonDocument.Parse(entry);
        return Management.ShapeOf(document.RootElement);
    }

    public static TheoryData<string, string> Accepted() => new()
    {
        { Npx, "npx" },
        { Baked, "baked" },
        { """{"command": "npx", "args": ["-y", "@molecule-ai/mcp-server"]}""", "npx" },
        { """{"command": "npx", "args": ["--prefer-offline", "@molecule-ai/mcp-server@1.9.2"]}""", "npx" },
        { """{"command": "npx", "args": ["--yes", "--prefer-offline", "@molecule-ai/mcp-server@latest"]}""", "npx" },
        { """{"command": "npx", "args": ["--prefer-offline", "-y", "@molecule-ai/mcp-server@>=1.8.0 <2"]}""", "npx" },
        { """{"command": "npx", "args": ["@molecule-ai/mcp-server@^1.8.0"], "env": {"ORG_SLUG": "acme", "AUDIT_ACTOR": "concierge", "NPM_CONFIG_USERCONFIG": "/x"}}""", "npx" },
        { """{"type": "stdio", "command": "npx", "args": ["-y", "@molecule-ai/mcp-server"]}""", "npx" },
        { """{"command": "molecule-platform-mcp"}""", "baked" },
        { """{"command": "molecule-platform-mcp", "args": [], "env": {}}""", "baked" },
        { """{"env": {"MOLECULE_MCP_MODE": "management"}, "command": "molecule-platform-mcp"}""", "baked" },
        { """{"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": "management", "MOLECULE_API_KEY": "k", "WORKSPACE_ID": "w"}}""", "baked" },
    };

    public static TheoryData<string, string> Impostors() => new()
    {
        { "NODE_OPTIONS added", """{"command": "npx", "args": ["-y", "@molecule-ai/mcp-server"], "env": {"MOLECULE_MCP_MODE": "management", "NODE_OPTIONS": "--require /tmp/x.js"}}""" },
        { "LD_PRELOAD added", """{"command": "molecule-platform-mcp", "env": {"LD_PRELOAD": "/tmp/evil.so"}}""" },
        { "npm registry redirected", """{"command": "npx", "args": ["@molecule-ai/mcp-server"], "env": {"npm_config_registry": "https://evil"}}""" },
        { "an extra argument", """{"command": "npx", "args": ["-y", "@molecule-ai/mcp-server@1", "--mode=user"]}""" },
        { "a flag after the package", """{"command": "npx", "args": ["@molecule-ai/mcp-server", "-y"]}""" },
        { "a flag twice", """{"command": "npx", "args": ["-y", "-y", "@molecule-ai/mcp-server"]}""" },
        { "an unknown flag", """{"command": "npx", "args": ["--registry=https://evil", "@molecule-ai/mcp-server"]}""" },
        { "another package", """{"command": "npx", "args": ["-y", "@molecule-ai/mcp-server-evil"]}""" },
        { "a lookalike scope", """{"command": "npx", "args": ["-y", "@molecule-ai-x/mcp-server"]}""" },
        { "a package path", """{"command": "npx", "args": ["-y", "/tmp/@molecule-ai/mcp-server"]}""" },
        { "no package", """{"command": "npx", "args": ["-y"]}""" },
        { "npx without args", """{"command": "npx"}""" },
        { "another command", """{"command": "node", "args": ["/tmp/x.js"], "env": {"MOLECULE_MCP_MODE": "management"}}""" },
        { "a path to the binary", """{"command": "/tmp/molecule-platform-mcp"}""" },
        { "the binary with an argument", """{"command": "molecule-platform-mcp", "args": ["-y"]}""" },
        { "a cwd", """{"command": "molecule-platform-mcp", "cwd": "/tmp/evil"}""" },
        { "a url", """{"command": "molecule-platform-mcp", "url": "https://evil"}""" },
        { "type http", """{"type": "http", "command": "molecule-platform-mcp"}""" },
        { "a number in env", """{"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": 1}}""" },
        { "env not an object", """{"command": "molecule-platform-mcp", "env": ["MOLECULE_MCP_MODE"]}""" },
        { "args not an array", """{"command": "npx", "args": "-y @molecule-ai/mcp-server"}""" },
        { "a number in args", """{"command": "npx", "args": [1, "@molecule-ai/mcp-server"]}""" },
        { "command not a string", """{"command": ["npx"]}""" },
        { "no command", """{"env": {"MOLECULE_MCP_MODE": "management"}}""" },
        { "empty", "{}" },
        { "not an object", "\"molecule-platform-mcp\"" },
        { "null", "null" },
        { "command in another case", """{"command": "NPX", "args": ["@molecule-ai/mcp-server"]}""" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void ShapeOf_WhatThePlatformDelivers_IsAccepted(string entry, string shape) =>
        Assert.Equal(shape, ShapeOf(entry));

    [Theory]
    [MemberData(nameof(Impostors))]
    public void ShapeOf_AnythingElse_IsNoShape(string why, string entry) =>
        Assert.True(ShapeOf(entry) is null, why);

    [Fact]
    public void ShapeOf_NoShapesConfigured_AcceptsExactlyTheSpec()
    {
        var server = new ProtectedServer("only", Support.JsonNodes.Parse("""{"command": "c", "env": {"A": "1", "B": "2"}}""") is { } spec
            ? MoleculeGuardian.Json.SettingsJson.ToElement(spec) : null, []);
        using var reordered = JsonDocument.Parse("""{"env": {"B": "2", "A": "1"}, "command": "c"}""");
        using var other = JsonDocument.Parse("""{"command": "c", "env": {"A": "1", "B": "3"}}""");

        Assert.Equal("configured", server.ShapeOf(reordered.RootElement));
        Assert.Null(server.ShapeOf(other.RootElement));
    }

    [Theory]
    [InlineData("abc", "abc", true)]
    [InlineData("abc", "abd", false)]
    [InlineData("abc", "ab", false)]
    [InlineData("ab", "abc", false)]
    [InlineData("a*", "a", true)]
    [InlineData("a*", "abc", true)]
    [InlineData("*c", "abc", true)]
    [InlineData("*c", "abd", false)]
    [InlineData("a*c", "ac", true)]
    [InlineData("a*c", "abbbc", true)]
    [InlineData("a*c", "abbbcd", false)]
    [InlineData("a*b*c", "aXbYbZc", true)]
    [InlineData("*", "", true)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("x|y", "y", true)]
    [InlineData("x|y", "z", false)]
    [InlineData("@m/s|@m/s@*", "@m/s", true)]
    [InlineData("@m/s|@m/s@*", "@m/s@^1.2", true)]
    [InlineData("@m/s|@m/s@*", "@m/s-x", false)]
    [InlineData("MOLECULE_*", "molecule_x", false)]
    public void Glob_Pattern_MatchesAsDocumented(string pattern, string text, bool matches) =>
        Assert.Equal(matches, Glob.Matches(pattern, text));

    [Fact]
    public void Glob_ManyStarsAgainstALongMiss_IsLinearNotExponential()
    {
        // Backtracking to the last star only: this would take forever with naive recursion.
        Assert.False(Glob.Matches(string.Concat(Enumerable.Repeat("a*", 30)) + "b", new string('a', 5000)));
    }
}
