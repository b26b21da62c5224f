using MoleculeGuardian.Guarding;
using MoleculeGuardian.Healing;

namespace MoleculeGuardian.Tests.Guarding;

/// <summary>
/// The loop's deadlines as a pure schedule: what each kind of heal outcome plans next, which deadline comes first, and
/// that a deadline whose time has come is never planned again (no spin).
/// </summary>
public sealed class LoopScheduleTests
{
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RetryMin = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryMax = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(100);

    private static LoopSchedule After(LoopSchedule schedule, HealReport report, TimeSpan now) => schedule.After(report, now, Resync, RetryMin, RetryMax);

    private static HealReport Of(HealStatus status) => status == HealStatus.Torn
        ? new HealReport(HealStatus.Torn, [], SettleIn: TimeSpan.FromMilliseconds(500))
        : HealReport.Of(status);

    [Fact]
    public void Start_NothingPending_NextIsTheResyncAfterOneInterval()
    {
        var schedule = LoopSchedule.Start(T0, Resync);

        Assert.Equal((T0 + Resync, HealTrigger.Periodic), schedule.Next);
        Assert.False(schedule.BackingOff);
    }

    [Theory]
    [InlineData(HealStatus.NoChange)]
    [InlineData(HealStatus.Healed)]
    [InlineData(HealStatus.DirectoryMissing)]
    public void After_ASuccessfulLook_OnlyTheResyncCountedFromNow(object statusValue)
    {
        var status = (HealStatus)statusValue;
        var failing = After(After(LoopSchedule.Start(T0, Resync), Of(HealStatus.Failed), T0), Of(HealStatus.Conflict), T0);

        var schedule = After(failing, Of(status), T0 + TimeSpan.FromSeconds(5));

        Assert.Equal(new LoopSchedule(null, null, T0 + TimeSpan.FromSeconds(5) + Resync), schedule);
    }

    [Fact]
    public void After_Torn_SettleDeadlineFirst()
    {
        var schedule = After(LoopSchedule.Start(T0, Resync), Of(HealStatus.Torn), T0);

        Assert.Equal((T0 + TimeSpan.FromMilliseconds(500), HealTrigger.Settle), schedule.Next);
    }

    [Fact]
    public void After_FailuresInARow_RetryBacksOffExponentiallyUpToTheCap()
    {
        var schedule = LoopSchedule.Start(T0, Resync);
        var delays = new List<double>();
        for (var i = 0; i < 8; i++)
        {
            schedule = After(schedule, Of(HealStatus.Failed), T0);
            delays.Add((schedule.RetryAt!.Value - T0).TotalSeconds);
            Assert.True(schedule.Next.At <= schedule.RetryAt, "the retry is the next deadline (or ties with the re-check)");
        }

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], delays);
        Assert.False(schedule.BackingOff);
    }

    [Fact]
    public void After_ConflictsInARow_BackOffFromTenMillisecondsUpToTheRetryMinimum()
    {
        var schedule = LoopSchedule.Start(T0, Resync);
        var delays = new List<double>();
        for (var i = 0; i < 9; i++)
        {
            schedule = After(schedule, Of(HealStatus.Conflict), T0);
            delays.Add((schedule.RetryAt!.Value - T0).TotalMilliseconds);
            Assert.True(schedule.BackingOff);
        }

        Assert.Equal([10, 20, 40, 80, 160, 320, 640, 1000, 1000], delays);
    }

    [Fact]
    public void After_TheRetryRanAndEndedTorn_NoRetryLeftNoLongerBackingOffAndTheSettleIsNext()
    {
        var backingOff = After(LoopSchedule.Start(T0, Resync), Of(HealStatus.Conflict), T0);

        var schedule = After(backingOff, Of(HealStatus.Torn), backingOff.RetryAt!.Value);

        Assert.Null(schedule.RetryAt);
        Assert.False(schedule.BackingOff);
        Assert.Equal(HealTrigger.Settle, schedule.Next.Trigger);
        Assert.True(schedule.Next.At > backingOff.RetryAt.Value);
    }

    [Fact]
    public void After_ARefusalBeforeAPlannedRetry_KeepsTheRetry()
    {
        var failed = After(LoopSchedule.Start(T0, Resync), Of(HealStatus.Failed), T0);

        var schedule = After(failed, Of(HealStatus.Refused), T0 + TimeSpan.FromMilliseconds(100));

        Assert.Equal(failed.RetryAt, schedule.RetryAt);
        Assert.Equal(1, schedule.Failures);
    }

    [Fact]
    public void After_AnyOutcome_NextDeadlineIsNeverInThePast()
    {
        var statuses = Enum.GetValues<HealStatus>();
        var schedule = LoopSchedule.Start(T0, Resync);
        var now = T0;
        foreach (var first in statuses)
        {
            foreach (var second in statuses)
            {
                schedule = After(After(schedule, Of(first), now), Of(second), now);
                Assert.True(schedule.Next.At > now, $"{first} then {second}: {schedule}");
                now = schedule.Next.At;
            }
        }
    }
}
