using System.Text.Json.Nodes;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;
using static MoleculeGuardian.Tests.Healing.Decisions;

namespace MoleculeGuardian.Tests.Healing;

/// <summary>
/// The decision's output to the letter: its arguments are checked, a plan carries a reason only where there is one to
/// give, and what it says about an impostor names the command in a bounded, value-free way.
/// </summary>
public sealed class DecisionOutputTests
{
    private const string Evicted = """{"mcpServers": {"image-gen": {"command": "uvx"}}}""";

    [Fact]
    public void Decide_NullArgument_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => HealDecision.Decide(null!, HealMemory.Empty, Rules()));
        Assert.Throws<ArgumentNullException>(() => HealDecision.Decide(NoFile(), null!, Rules()));
        Assert.Throws<ArgumentNullException>(() => HealDecision.Decide(NoFile(), HealMemory.Empty, null!));
    }

    [Fact]
    public void Glob_NullArgument_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => Glob.Matches(null!, "a"));
        Assert.Throws<ArgumentNullException>(() => Glob.Matches("*", null!));
    }

    [Fact]
    public void Inspect_NullServer_Throws() =>
        Assert.Throws<ArgumentNullException>(() => HealTransform.Inspect(default, null!));

    [Fact]
    public void Decide_CompliantFile_NoReason()
    {
        var plan = Decide("""{"mcpServers": {"molecule-platform": """ + Baked + "}}");

        Assert.Equal((PlanKind.NoChange, ""), (plan.Kind, plan.Reason));
    }

    [Fact]
    public void Decide_WriteThatKeepsNoCopy_NoReason()
    {
        var created = HealDecision.Decide(NoFile(), HealMemory.Empty, Rules());
        var configured = Decide(Evicted);
        var lastSeen = Decide(Evicted, Seen(Npx));

        Assert.All([created, configured, lastSeen], plan => Assert.Equal((PlanKind.Write, KeepCopy.None, ""), (plan.Kind, plan.Copy, plan.Reason)));
    }

    [Fact]
    public void Decide_SpecWhoseCommandIsNotAString_IsNotJudgedAsACommand()
    {
        // Only a string command is started; anything else has nothing to resolve, like an entry with a url.
        var spec = SettingsJson.ToElement(JsonNode.Parse("""{"command": ["molecule-platform-mcp"]}"""));
        var server = new ProtectedServer("molecule-platform", spec, []);

        var plan = Decide(Evicted, rules: Rules(runnable: NoneRunnable, servers: [server]));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""["molecule-platform-mcp"]"""), Servers(Written(plan))["molecule-platform"]!["command"]));
    }

    [Theory]
    [InlineData("""{"command": 7}""", "(a number command)")]
    [InlineData("""{"command": {"path": "node"}}""", "(a object command)")]
    public void Decide_ImpostorCommandNotAString_NamesWhatStandsThere(string impostor, string detail)
    {
        var plan = Decide("""{"mcpServers": {"molecule-platform": """ + impostor + "}}");

        Assert.Equal(detail, Assert.Single(plan.Notices).Detail);
    }

    [Theory]
    [InlineData(200, false)]
    [InlineData(201, true)]
    public void Decide_ImpostorWithALongCommand_NamesAtMost200Characters(int length, bool shortened)
    {
        var command = new string('c', length);

        var plan = Decide("""{"mcpServers": {"molecule-platform": {"command": """ + "\"" + command + "\"" + "}}}");

        Assert.Equal(shortened ? command[..200] + "..." : command, Assert.Single(plan.Notices).Detail);
    }
}
