using MoleculeGuardian.Healing;
using static MoleculeGuardian.Tests.Healing.Decisions;

namespace MoleculeGuardian.Tests.Healing;

/// <summary>
/// The torn-write policy inside the decision: a bad read is first a writer mid-write; it is repaired only when it stayed
/// exactly as it is for the settle delay, or never stopped being bad for ten of them. A wait says how much is left, and
/// a repair is never a first sighting, whichever rule let it through.
/// </summary>
public sealed class SettleTests
{
    private static Observation Bad(string text, TimeSpan at, FileVersion? version = null) => File(text, at, version);

    [Fact]
    public void Decide_SameBadReadUntilTheDelayHasPassed_FirstSeenThenWaitsWhatIsLeftThenRepairs()
    {
        var first = HealDecision.Decide(Bad("{", TimeSpan.FromSeconds(10)), HealMemory.Empty, Rules());
        var second = HealDecision.Decide(Bad("{", TimeSpan.FromSeconds(10) + (Settle / 5)), first.Memory, Rules());
        var third = HealDecision.Decide(Bad("{", TimeSpan.FromSeconds(10) + Settle), second.Memory, Rules());

        Assert.Equal((PlanKind.Wait, Settle, true), (first.Kind, first.SettleIn, first.FirstSeen));
        Assert.Equal("not valid JSON (line 1, byte 2)", first.Reason);
        Assert.Equal((PlanKind.Wait, Settle * 4 / 5, false), (second.Kind, second.SettleIn, second.FirstSeen));
        Assert.Equal(PlanKind.Write, third.Kind);
        Assert.False(third.FirstSeen);
        Assert.Equal(KeepCopy.Corrupt, third.Copy);
        Assert.Null(third.Memory.Torn);
    }

    [Fact]
    public void Decide_BadReadChangingEveryDelayForTenDelays_RepairedAsCorrupt()
    {
        var memory = HealMemory.Empty;
        for (var round = 0; round < HealDecision.MaxSettleRounds; round++)
        {
            var plan = HealDecision.Decide(Bad("{" + new string(' ', round), Settle * round), memory, Rules());
            Assert.Equal((PlanKind.Wait, Settle, true), (plan.Kind, plan.SettleIn, plan.FirstSeen));
            memory = plan.Memory;
        }

        var repaired = HealDecision.Decide(Bad("{ still not json", Settle * HealDecision.MaxSettleRounds), memory, Rules());

        Assert.Equal(PlanKind.Write, repaired.Kind);
        Assert.Equal(HealChangeKind.RepairedCorruptFile, repaired.Changes[0].Kind);
    }

    [Fact]
    public void Decide_SameBytesAsANewVersionOfTheFile_StartsTheDelayAgain()
    {
        var first = HealDecision.Decide(Bad("{", TimeSpan.Zero, new FileVersion(1, 1, 1, 1, 1)), HealMemory.Empty, Rules());

        var rewritten = HealDecision.Decide(Bad("{", Settle, new FileVersion(1, 2, 1, 2, 2)), first.Memory, Rules());

        Assert.Equal((PlanKind.Wait, Settle, true), (rewritten.Kind, rewritten.SettleIn, rewritten.FirstSeen));
    }

    [Fact]
    public void Decide_TornThenGood_ForgetsTheBadReadSoALaterOneStartsAfresh()
    {
        var torn = HealDecision.Decide(Bad("{", TimeSpan.Zero), HealMemory.Empty, Rules());
        var good = HealDecision.Decide(File("{}", Settle), torn.Memory, Rules());

        var later = HealDecision.Decide(Bad("{\"half", Settle * 20), good.Memory.Wrote(), Rules());

        Assert.Null(good.Memory.Torn);
        Assert.Equal((PlanKind.Wait, Settle, true), (later.Kind, later.SettleIn, later.FirstSeen));
    }

    [Fact]
    public void Decide_FileThatWasThereDisappears_SettlesAsMissingThenIsCreated()
    {
        var present = HealDecision.Decide(File("{}"), HealMemory.Empty, Rules()).Memory.Wrote();

        var gone = HealDecision.Decide(NoFile(TimeSpan.FromSeconds(1)), present, Rules());
        var stillGone = HealDecision.Decide(NoFile(TimeSpan.FromSeconds(1) + Settle), gone.Memory, Rules());

        Assert.Equal((PlanKind.Wait, "missing", true), (gone.Kind, gone.Reason, gone.FirstSeen));
        Assert.Equal(PlanKind.Write, stillGone.Kind);
        Assert.Equal(HealChangeKind.CreatedFile, stillGone.Changes[0].Kind);
    }

    [Fact]
    public void Decide_FileDeletedWhileTorn_StillSettles()
    {
        var torn = HealDecision.Decide(Bad("{", TimeSpan.Zero), HealMemory.Empty, Rules());

        var gone = HealDecision.Decide(NoFile(TimeSpan.FromMilliseconds(10)), torn.Memory, Rules());

        Assert.Equal(PlanKind.Wait, gone.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("{\"mcpServers\": {")]
    [InlineData("\"unterminated")]
    public void Decide_EmptyOrCutOff_WaitsAndKeepsNoBytesOnlyADigest(string content)
    {
        var plan = HealDecision.Decide(File(content), HealMemory.Empty, Rules());

        Assert.Equal(PlanKind.Wait, plan.Kind);
        Assert.Equal(16, plan.Memory.Torn!.Digest.Length); // XxHash128
    }
}
