using MoleculeGuardian.Healing;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Guarding;

/// <summary>
/// The torn-write policy seen through the healer: what it logs once per bad state, what it forgets when a heal ends
/// well, and what a heal that wrote the file means for a later deletion. Also: any exception is a counted failure.
/// </summary>
public sealed class HealerMemoryTests : HealerTestBase
{
    private int TornReads => Logs.Count("TornRead");

    [Fact]
    public void Heal_SameTornFileUntilItSettles_LogsTornReadOnceNotAtEveryLook()
    {
        File.WriteAllText(SettingsPath, "{");
        Assert.Equal(HealStatus.Torn, Healer.Heal(HealTrigger.Watch).Status);
        Clock.Advance(Settle / 2);
        Assert.Equal(HealStatus.Torn, Healer.Heal(HealTrigger.Periodic).Status);

        Clock.Advance(Settle);
        var repaired = Healer.Heal(HealTrigger.Settle);

        Assert.Equal(HealStatus.Healed, repaired.Status);
        Assert.Equal(1, TornReads);
    }

    [Fact]
    public void Heal_FileThatNeverStopsChangingAndNeverParses_RepairedAfterTenDelaysWithoutANewTornRead()
    {
        for (var round = 0; round < 10; round++)
        {
            File.WriteAllText(SettingsPath, "{" + new string(' ', round));
            Assert.Equal(HealStatus.Torn, Healer.Heal(HealTrigger.Watch).Status);
            Clock.Advance(Settle);
        }

        var logged = TornReads;
        File.WriteAllText(SettingsPath, "{ still not json");
        var repaired = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, repaired.Status);
        Assert.Equal(logged, TornReads);
    }

    [Fact]
    public void Heal_TornAgainLongAfterAGoodHeal_IsANewTornStateNotTheOldOneRunOut()
    {
        // A good heal clears the last bad read: a torn write ten delays later starts its own settle delay.
        File.WriteAllText(SettingsPath, "{");
        Assert.Equal(HealStatus.Torn, Healer.Heal(HealTrigger.Watch).Status);
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        Assert.Equal(HealStatus.Healed, Healer.Heal(HealTrigger.Watch).Status);

        Clock.Advance(Settle * 20);
        File.WriteAllText(SettingsPath, "{\"half");

        Assert.Equal(HealStatus.Torn, Healer.Heal(HealTrigger.Watch).Status);
    }

    [Fact]
    public void Heal_FileTheHealCreatedIsDeletedLater_SettlesInsteadOfRecreatingAtOnce()
    {
        // A file that was never there is created at once; one the guardian itself wrote and that then disappears is
        // a tree being removed or restored, which settles like a torn write.
        Assert.Equal(HealStatus.Healed, Healer.Heal(HealTrigger.Startup).Status);
        File.Delete(SettingsPath);

        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Torn, report.Status);
        Assert.False(File.Exists(SettingsPath));
    }

    [Fact]
    public void Heal_UnexpectedExceptionInside_IsAFailedHealLoggedAndCounted()
    {
        File.WriteAllText(SettingsPath, SettingsFiles.WithoutProtected());
        Fs.Before = (op, _, _) =>
        {
            if (op == Files.FsOp.CreateExclusiveAt)
            {
                throw new InvalidOperationException("a bug somewhere below the heal");
            }
        };

        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Failed, report.Status);
        Assert.Equal("a bug somewhere below the heal", report.Detail);
        Assert.Equal(1, Logs.Count("HealLoopFailed"));
    }
}
