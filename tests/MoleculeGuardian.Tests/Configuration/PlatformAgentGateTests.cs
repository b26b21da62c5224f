using MoleculeGuardian.Configuration;

namespace MoleculeGuardian.Tests.Configuration;

/// <summary>
/// The gate as the platform states it today: the runtime's marker (set on every concierge), or the management plugin
/// among the declared plugins; either signal can be switched off.
/// </summary>
public sealed class PlatformAgentGateTests
{
    private const string Plugin = "molecule-ai-plugin-molecule-platform-mcp";

    private static PlatformAgentGate Gate(string? marker, string? declared, GateOptions? options = null) =>
        PlatformAgentGate.From(name => name switch
        {
            PlatformAgentGate.MarkerVariable => marker,
            PlatformAgentGate.DeclaredPluginsVariable => declared,
            _ => throw new InvalidOperationException($"the gate read {name}"),
        }, options ?? new GateOptions());

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("yes")]
    [InlineData("baked")]
    [InlineData(" 1 ")]
    public void IsOn_SetToAnythingElse_IsTrue(string value) => Assert.True(PlatformAgentGate.IsOn(value));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("0")]
    [InlineData("false")]
    [InlineData("FALSE")]
    [InlineData("False")]
    [InlineData("no")]
    [InlineData("No")]
    [InlineData(" no ")]
    public void IsOn_UnsetEmptyZeroFalseOrNo_IsFalse(string? value) => Assert.False(PlatformAgentGate.IsOn(value));

    [Theory]
    [InlineData("gitea://molecule-ai/molecule-ai-plugin-molecule-platform-mcp#main")]
    [InlineData("gitea://molecule-ai/molecule-ai-plugin-molecule-platform-mcp")]
    [InlineData("github://Molecule-AI/molecule-ai-plugin-molecule-platform-mcp.git#v1.2")]
    [InlineData("github://Molecule-AI/molecule-ai-plugin-molecule-platform-mcp@v1.2")]
    [InlineData("molecule-ai-plugin-molecule-platform-mcp")]
    [InlineData("gitea://molecule-ai/superpowers#main, gitea://molecule-ai/molecule-ai-plugin-molecule-platform-mcp#main")]
    [InlineData(" gitea://x/y ,MOLECULE-AI-PLUGIN-MOLECULE-PLATFORM-MCP/ ")]
    public void Declares_TheManagementPluginAmongTheSources_IsTrue(string declared) =>
        Assert.True(PlatformAgentGate.Declares(declared, Plugin));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("gitea://molecule-ai/molecule-ai-plugin-molecule-platform-mcp-fork#main")]
    [InlineData("gitea://molecule-ai/superpowers#molecule-ai-plugin-molecule-platform-mcp")]
    [InlineData("gitea://molecule-ai-plugin-molecule-platform-mcp/other")]
    [InlineData("gitea://molecule-ai/molecule-ai-plugin-molecule-platform")]
    public void Declares_OnlyOtherPlugins_IsFalse(string? declared) =>
        Assert.False(PlatformAgentGate.Declares(declared, Plugin));

    [Fact]
    public void From_MarkerOn_OpenNamingTheMarker()
    {
        var gate = Gate("1", null);

        Assert.True(gate.Enabled);
        Assert.Equal("MOLECULE_PLATFORM_AGENT_IMAGE_BAKED is on", gate.Reason);
    }

    [Fact]
    public void From_OnlyThePluginDeclared_OpenNamingThePlugin()
    {
        var gate = Gate("0", "gitea://molecule-ai/molecule-ai-plugin-molecule-platform-mcp#main");

        Assert.True(gate.Enabled);
        Assert.Equal("MOLECULE_DECLARED_PLUGINS declares molecule-ai-plugin-molecule-platform-mcp", gate.Reason);
    }

    [Fact]
    public void From_NeitherSignal_ShutSayingWhy()
    {
        var gate = Gate(null, "gitea://molecule-ai/superpowers#main");

        Assert.False(gate.Enabled);
        Assert.Equal("MOLECULE_PLATFORM_AGENT_IMAGE_BAKED is unset or off, and MOLECULE_DECLARED_PLUGINS does not declare molecule-ai-plugin-molecule-platform-mcp", gate.Reason);
    }

    [Fact]
    public void From_BothSignalsSwitchedOff_ShutWhateverTheVariablesSay()
    {
        var gate = Gate("1", Plugin, new GateOptions { Marker = false, ManagementPlugin = "" });

        Assert.False(gate.Enabled);
        Assert.Equal("MOLECULE_PLATFORM_AGENT_IMAGE_BAKED is not consulted (Guardian:Gate:Marker=false), and MOLECULE_DECLARED_PLUGINS is not consulted (Guardian:Gate:ManagementPlugin is empty)", gate.Reason);
    }

    [Fact]
    public void From_MarkerSwitchedOffPluginDeclared_Open()
    {
        Assert.True(Gate("1", Plugin, new GateOptions { Marker = false }).Enabled);
        Assert.False(Gate("1", null, new GateOptions { Marker = false }).Enabled);
    }

    [Fact]
    public void From_NullArgument_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => PlatformAgentGate.From(null!, new GateOptions()));
        Assert.Throws<ArgumentNullException>(() => PlatformAgentGate.From(_ => null, null!));
        Assert.Throws<ArgumentNullException>(() => PlatformAgentGate.Declares("x", null!));
    }

    [Theory]
    [InlineData("#main")]
    [InlineData("/")]
    public void From_PluginSwitchedOffAndASourceWithAnEmptyName_Shut(string declared) =>
        Assert.False(Gate(null, declared, new GateOptions { ManagementPlugin = "" }).Enabled);
}
