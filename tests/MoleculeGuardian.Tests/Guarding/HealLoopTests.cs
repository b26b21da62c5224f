using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Guarding;

/// <summary>
/// The loop on its own, on a fake clock and a real directory: a change heals at once and any number of changes waiting
/// cost one heal; the loop's own deadlines (settle, retry, conflict back-off, re-check) come exactly when due and not a
/// tick before; the loop says when it retries, backs off or fights another writer, runs the idle trim only when nothing
/// waits, and reports a heal that takes too long.
/// </summary>
public sealed class HealLoopTests : HealerTestBase
{
    private static readonly TimeSpan Resync = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RetryMin = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private readonly TestHealers.TestMeterFactory _meters = new();
    private readonly GuardianOptions _options;
    private readonly HealLoop _loop;
    private int _idles;

    public HealLoopTests()
    {
        _options = TestHealers.Options(SettingsPath, o =>
        {
            o.SettleDelay = Settle;
            o.ResyncInterval = Resync;
            o.RetryMinDelay = RetryMin;
            o.RetryMaxDelay = TimeSpan.FromSeconds(4);
            o.FightThresholdPerMinute = 3;
        });
        var healer = TestHealers.Healer(_options, Fs, Clock, new Logger<Healer>(Logs), _meters);
        _loop = new HealLoop(healer, _options, Clock, Logs, new GuardianMetrics(_meters), () => _idles++);
    }

    private int HealsBy(HealTrigger trigger) => Logs.Count($"({trigger})");

    /// <summary>A wait that nothing but the clock can end stays pending while the clock stands still.</summary>
    private static void AssertWaiting(Task<HealReport?> next) => Assert.False(next.IsCompleted, "the loop ran a heal before anything called for it");

    private static async Task<HealReport> CompletesAsync(Task<HealReport?> next)
    {
        var report = await next.WaitAsync(Bound);
        Assert.NotNull(report);
        return report;
    }

    /// <summary>Another writer that replaces the file with an evicting version of its own at the first <paramref name="replaces"/> of the guardian's replaces.</summary>
    private void WriterWinsTheFirst(int replaces) => Fs.Before = (op, _, n) =>
    {
        if (op == FsOp.CreateExclusiveAt && n <= replaces)
        {
            SettingsFiles.WriteByRename(SettingsPath, SettingsFiles.WithoutProtected(n));
        }
    };

    [Fact]
    public void Constructor_NoOptionsOrClock_ThrowsArgumentNull()
    {
        var healer = TestHealers.Healer(_options, Fs, Clock);

        Assert.Throws<ArgumentNullException>(() => new HealLoop(healer, null!, Clock, Logs));
        Assert.Throws<ArgumentNullException>(() => new HealLoop(healer, _options, null!, Logs));
    }

    [Fact]
    public void HealNow_NoFile_HealsAtOnceWithItsTrigger()
    {
        var report = _loop.HealNow(HealTrigger.Startup);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.True(SettingsFiles.Complies(SettingsPath));
        Assert.Equal(1, HealsBy(HealTrigger.Startup));
    }

    [Fact]
    public async Task NextAsync_ChangeRequested_HealsAtOnceWithItsTrigger()
    {
        _loop.HealNow(HealTrigger.Startup);
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(3));

        _loop.Request(HealTrigger.Watch);
        var next = _loop.NextAsync(CancellationToken.None);

        Assert.True(next.IsCompletedSuccessfully, "a waiting change is healed without waiting for anything");
        Assert.Equal(HealStatus.Healed, (await next)!.Status);
        Assert.Equal(3, SettingsFiles.Generation(SettingsPath));
        Assert.Equal(1, HealsBy(HealTrigger.Watch));
    }

    [Fact]
    public async Task NextAsync_ChangeDuringTheWait_HealsItWithoutTheClock()
    {
        _loop.HealNow(HealTrigger.Startup);
        var next = _loop.NextAsync(CancellationToken.None);
        AssertWaiting(next);

        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(2));
        _loop.Request(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, (await CompletesAsync(next)).Status);
        Assert.Equal(1, HealsBy(HealTrigger.Watch));
    }

    [Fact]
    public async Task NextAsync_ManyChangesWaiting_CostOneHeal()
    {
        _loop.HealNow(HealTrigger.Startup);
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(1));
        _loop.Request(HealTrigger.Watch);
        _loop.Request(HealTrigger.Rescan);
        _loop.Request(HealTrigger.Rescan);

        await CompletesAsync(_loop.NextAsync(CancellationToken.None));
        var after = _loop.NextAsync(CancellationToken.None);

        AssertWaiting(after);
        Assert.Equal(1, HealsBy(HealTrigger.Watch));
        Assert.Equal(0, HealsBy(HealTrigger.Rescan));
    }

    [Fact]
    public async Task NextAsync_NothingChanges_ReChecksAtTheResyncCountedFromTheLastHeal()
    {
        _loop.HealNow(HealTrigger.Startup);
        Clock.Advance(TimeSpan.FromSeconds(30));
        _loop.HealNow(HealTrigger.Startup);

        var next = _loop.NextAsync(CancellationToken.None);
        Clock.Advance(Resync - Tick);
        AssertWaiting(next);
        Clock.Advance(Tick);

        Assert.Equal(HealStatus.NoChange, (await CompletesAsync(next)).Status);
        Assert.Equal(1, HealsBy(HealTrigger.Periodic));
    }

    [Fact]
    public async Task NextAsync_TornFile_LooksAgainAtItsSettleDeadline()
    {
        File.WriteAllText(SettingsPath, "{\"mcpServers\": {");
        Assert.Equal(HealStatus.Torn, _loop.HealNow(HealTrigger.Startup).Status);

        var next = _loop.NextAsync(CancellationToken.None);
        Clock.Advance(Settle - Tick);
        AssertWaiting(next);
        Clock.Advance(Tick);

        Assert.Equal(HealStatus.Healed, (await CompletesAsync(next)).Status);
        Assert.Equal(1, HealsBy(HealTrigger.Settle));
        Assert.Single(Directory.GetFiles(Temp.Combine(".claude"), "settings.json.corrupt-*"));
    }

    [Fact]
    public async Task NextAsync_DeadlinePassedBeforeTheCall_HealsAtOnce()
    {
        File.WriteAllText(SettingsPath, "");
        _loop.HealNow(HealTrigger.Startup);
        Clock.Advance(Settle);

        var next = _loop.NextAsync(CancellationToken.None);

        Assert.True(next.IsCompletedSuccessfully, "a deadline already due is not waited for");
        Assert.Equal(HealStatus.Healed, (await next)!.Status);
        Assert.Equal(1, HealsBy(HealTrigger.Settle));
    }

    [Fact]
    public async Task NextAsync_TornFileCompletedBeforeItsDeadline_HealsTheChangeAtOnce()
    {
        File.WriteAllText(SettingsPath, "");
        _loop.HealNow(HealTrigger.Startup);

        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(6));
        _loop.Request(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, (await CompletesAsync(_loop.NextAsync(CancellationToken.None))).Status);
        Assert.Equal(6, SettingsFiles.Generation(SettingsPath));
        Assert.Equal(0, HealsBy(HealTrigger.Settle));
    }

    [Fact]
    public async Task NextAsync_FailedHeals_RetryAtTheBackoffAndSayWhen()
    {
        Fs.FailOn(FsOp.CreateExclusiveAt, Errno.EIO, 1).FailOn(FsOp.CreateExclusiveAt, Errno.EIO, 2);
        Assert.Equal(HealStatus.Failed, _loop.HealNow(HealTrigger.Startup).Status);

        foreach (var (attempt, delay) in new[] { (1, RetryMin), (2, 2 * RetryMin) })
        {
            Assert.Contains(Logs.Lines, l => l.Contains($"RetryScheduled Heal did not complete (Failed); retry {attempt} in {delay.TotalMilliseconds} ms", StringComparison.Ordinal));
            var next = _loop.NextAsync(CancellationToken.None);
            Clock.Advance(delay - Tick);
            AssertWaiting(next);
            Clock.Advance(Tick);
            await CompletesAsync(next);
        }

        Assert.True(SettingsFiles.Complies(SettingsPath));
        Assert.Equal(1, HealsBy(HealTrigger.Retry));
        Assert.Equal(2, Logs.Count("RetryScheduled"));
    }

    [Fact]
    public async Task NextAsync_HealLosesEveryRound_BacksOffAndTheWaitingChangeRidesOnTheBackoffsHeal()
    {
        // Some time into the loop's life: the delay logged is from now, not from the loop's start.
        Clock.Advance(TimeSpan.FromSeconds(7));
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        WriterWinsTheFirst(Healer.MaxConflictRounds);
        Assert.Equal(HealStatus.Conflict, _loop.HealNow(HealTrigger.Startup).Status);
        Assert.Contains(Logs.Lines, l => l.Contains($"BackingOff Each of {Healer.MaxConflictRounds} heal rounds lost a race (the file kept changing under the heal; the last round saw that ", StringComparison.Ordinal)
            && l.Contains($"backing off {LoopSchedule.FirstConflictDelay.TotalMilliseconds} ms", StringComparison.Ordinal));

        _loop.Request(HealTrigger.Watch);
        var next = _loop.NextAsync(CancellationToken.None);
        Clock.Advance(LoopSchedule.FirstConflictDelay - Tick);
        AssertWaiting(next);
        Clock.Advance(Tick);

        Assert.Equal(HealStatus.Healed, (await CompletesAsync(next)).Status);
        Assert.Equal(1, HealsBy(HealTrigger.Retry));
        Assert.Equal(0, HealsBy(HealTrigger.Watch));
        AssertWaiting(_loop.NextAsync(CancellationToken.None));
    }

    [Fact]
    public async Task NextAsync_ConflictsInARow_DoubleTheBackoffAndSayItOnce()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        WriterWinsTheFirst(2 * Healer.MaxConflictRounds);
        _loop.HealNow(HealTrigger.Startup);
        var second = _loop.NextAsync(CancellationToken.None);
        Clock.Advance(LoopSchedule.FirstConflictDelay);
        Assert.Equal(HealStatus.Conflict, (await CompletesAsync(second)).Status);

        var third = _loop.NextAsync(CancellationToken.None);
        Clock.Advance((2 * LoopSchedule.FirstConflictDelay) - Tick);
        AssertWaiting(third);
        Clock.Advance(Tick);

        Assert.Equal(HealStatus.Healed, (await CompletesAsync(third)).Status);
        Assert.Equal(1, Logs.Count("BackingOff"));
    }

    [Fact]
    public async Task NextAsync_Completed_HealsWhatWaitsThenReturnsNull()
    {
        _loop.HealNow(HealTrigger.Startup);
        _loop.Request(HealTrigger.Watch);
        _loop.Complete();

        Assert.NotNull(await _loop.NextAsync(CancellationToken.None).WaitAsync(Bound));
        Assert.Null(await _loop.NextAsync(CancellationToken.None).WaitAsync(Bound));
    }

    [Fact]
    public async Task NextAsync_CompletedDuringTheWait_ReturnsNull()
    {
        _loop.HealNow(HealTrigger.Startup);
        var next = _loop.NextAsync(CancellationToken.None);
        AssertWaiting(next);

        _loop.Complete();

        Assert.Null(await next.WaitAsync(Bound));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NextAsync_Cancelled_Throws(bool backingOff)
    {
        if (backingOff)
        {
            SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
            WriterWinsTheFirst(Healer.MaxConflictRounds);
        }

        _loop.HealNow(HealTrigger.Startup);
        using var stop = new CancellationTokenSource();
        var next = _loop.NextAsync(stop.Token);

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WaitAsync(Bound));
    }

    [Fact]
    public void HealNow_MoreRestoresInAMinuteThanTheThreshold_WarnsOnceAndCountsTheFight()
    {
        var fights = new ConcurrentQueue<long>();
        using var listener = TestHealers.Listen(_meters, "guardian.fights", fights);

        // The first heal creates the file: one restore. Heals that find the file as it should be are no fight, however many.
        _loop.HealNow(HealTrigger.Startup);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HealStatus.NoChange, _loop.HealNow(HealTrigger.Periodic).Status);
        }

        for (var restore = 2; restore <= 5; restore++)
        {
            SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(restore));
            _loop.HealNow(HealTrigger.Watch);
            Assert.Equal(restore > _options.FightThresholdPerMinute ? 1 : 0, Logs.Count("FightingAnotherWriter"));
        }

        Assert.Contains(Logs.Lines, l => l.Contains("FightingAnotherWriter 4 heals in the last minute", StringComparison.Ordinal));
        Assert.Equal(1, fights.Sum());
    }

    [Fact]
    public void HealNow_RoundsLostToAWriter_CountAsRestores()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        WriterWinsTheFirst(Healer.MaxConflictRounds);

        _loop.HealNow(HealTrigger.Startup);

        Assert.Contains(Logs.Lines, l => l.Contains($"FightingAnotherWriter {Healer.MaxConflictRounds} heals in the last minute", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Heal_NothingWaitingAfterIt_RunsTheIdleTrim_ButNotWhileAChangeWaits()
    {
        _loop.HealNow(HealTrigger.Startup);
        Assert.Equal(1, _idles);

        // A change arrives while the heal writes: the trim waits for the heal that change brings.
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(1));
        Fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusiveAt)
            {
                _loop.Request(HealTrigger.Watch);
            }
        };
        _loop.HealNow(HealTrigger.Rescan);
        Assert.Equal(1, _idles);

        Fs.Before = null;
        await CompletesAsync(_loop.NextAsync(CancellationToken.None));
        Assert.Equal(2, _idles);
    }

    [Fact]
    public async Task IsResponsive_HealRunningForTheLimit_IsFalseUntilItEnds()
    {
        var limit = TimeSpan.FromSeconds(30);
        using var inWrite = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        Fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusiveAt)
            {
                inWrite.Set();
                release.Wait(Bound);
            }
        };
        Assert.True(_loop.IsResponsive(limit));

        var heal = Task.Run(() => _loop.HealNow(HealTrigger.Startup));
        Assert.True(inWrite.Wait(Bound), "the heal to reach its write");
        Clock.Advance(limit - Tick);
        Assert.True(_loop.IsResponsive(limit));
        Clock.Advance(Tick);
        Assert.False(_loop.IsResponsive(limit));

        release.Set();
        await heal.WaitAsync(Bound);
        Assert.True(_loop.IsResponsive(limit));
    }
}
