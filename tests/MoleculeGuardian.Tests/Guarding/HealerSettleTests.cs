using System.Collections.Concurrent;
using System.Globalization;
using MoleculeGuardian.Files;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Guarding;

/// <summary>
/// One heal at a time, on a fake clock and a real directory: a torn or deleted file is another writer mid-operation
/// until it stays as it is for the settle delay; a conflict is retried a bounded number of times; what a heal
/// restores says how long the entry was out.
/// </summary>
public sealed class HealerSettleTests : HealerTestBase
{
    private string[] Quarantined() => Directory.GetFiles(Temp.Combine(".claude"), "settings.json.corrupt-*");

    [Theory]
    [InlineData("")]
    [InlineData("{\n  \"mcpServers\": {\n    \"image-gen\": {")]
    public void Heal_EmptyOrCutOffFile_IsTornWritesNothingAndAsksToLookAgainAfterTheSettleDelay(string content)
    {
        File.WriteAllText(SettingsPath, content);

        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Torn, report.Status);
        Assert.Equal(Settle, report.SettleIn);
        Assert.True(report.Status == HealStatus.Torn);
        Assert.Equal(content, File.ReadAllText(SettingsPath));
        Assert.Equal(0, Fs.Calls(FsOp.CreateExclusiveAt));
        Assert.Empty(Quarantined());
    }

    [Fact]
    public void Heal_TornThenCompletedWithinTheSettleDelay_HealsTheWholeFileAndQuarantinesNothing()
    {
        File.WriteAllText(SettingsPath, "");
        Assert.Equal(HealStatus.Torn, Healer.Heal(HealTrigger.Watch).Status);

        // The writer finishes a moment later; its change brings the next heal, long before the settle delay.
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(7));
        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal([new HealChange(HealChangeKind.AddedEntry, "molecule-platform", EntrySource.Configured)], report.Changes);
        Assert.Equal(7, SettingsFiles.Generation(SettingsPath));
        Assert.False(report.Status == HealStatus.Torn);
        Assert.Empty(Quarantined());
    }

    [Fact]
    public void Heal_TornAndUnchangedForLessThanTheSettleDelay_StaysTornForTheRestOfIt()
    {
        File.WriteAllText(SettingsPath, "{");
        Healer.Heal(HealTrigger.Watch);

        Clock.Advance(Settle - TimeSpan.FromMilliseconds(120));
        var report = Healer.Heal(HealTrigger.Periodic);

        Assert.Equal(HealStatus.Torn, report.Status);
        Assert.Equal(TimeSpan.FromMilliseconds(120), report.SettleIn);
        Assert.Empty(Quarantined());
        Assert.Equal("{", File.ReadAllText(SettingsPath));
    }

    [Fact]
    public void Heal_TornAndUnchangedForTheSettleDelay_IsQuarantinedAsCorruptAndRepaired()
    {
        File.WriteAllText(SettingsPath, "{");
        Healer.Heal(HealTrigger.Watch);

        Clock.Advance(Settle);
        var report = Healer.Heal(HealTrigger.Settle);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(HealChangeKind.RepairedCorruptFile, report.Changes[0].Kind);
        Assert.Equal("{", File.ReadAllText(Assert.Single(Quarantined())));
        Assert.True(SettingsFiles.Complies(SettingsPath));
        Assert.False(report.Status == HealStatus.Torn);
    }

    [Fact]
    public void Heal_TornThenRewrittenStillBad_StartsTheSettleDelayAgain()
    {
        File.WriteAllText(SettingsPath, "{");
        Healer.Heal(HealTrigger.Watch);
        Clock.Advance(Settle - TimeSpan.FromMilliseconds(100));

        // A different bad file: a writer is still at work, so the settle delay counts from this one.
        File.WriteAllText(SettingsPath, "{\"a\"");
        Assert.Equal(Settle, Healer.Heal(HealTrigger.Watch).SettleIn);

        Clock.Advance(Settle - TimeSpan.FromMilliseconds(1));
        Assert.Equal(HealStatus.Torn, Healer.Heal(HealTrigger.Settle).Status);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(HealStatus.Healed, Healer.Heal(HealTrigger.Settle).Status);
        Assert.Equal("{\"a\"", File.ReadAllText(Assert.Single(Quarantined())));
    }

    [Fact]
    public void Heal_SameBadBytesWrittenAgainAsANewFile_CountsAsAChange()
    {
        File.WriteAllText(SettingsPath, "{");
        Healer.Heal(HealTrigger.Watch);
        Clock.Advance(Settle - TimeSpan.FromMilliseconds(100));

        // Same bytes, new inode: the writer replaced the file, so it was not "unchanged" all along.
        SettingsFiles.WriteByRename(SettingsPath, "{");
        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Torn, report.Status);
        Assert.Equal(Settle, report.SettleIn);
        Assert.Empty(Quarantined());
    }

    [Fact]
    public void Heal_BadFileThatNeverStopsChanging_IsCorruptAfterTenSettleDelays()
    {
        // Not a writer mid-write but a writer of garbage: a guardian that waited forever would leave the heartbeat
        // failing forever.
        var limit = Settle * HealDecision.MaxSettleRounds;
        var step = TimeSpan.FromMilliseconds(100);
        var elapsed = TimeSpan.Zero;
        for (var i = 0; elapsed < limit; i++)
        {
            SettingsFiles.WriteByRename(SettingsPath, "{\"garbage\": " + i.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(HealStatus.Torn, Healer.Heal(HealTrigger.Watch).Status);
            Clock.Advance(step);
            elapsed += step;
        }

        SettingsFiles.WriteByRename(SettingsPath, "{\"garbage\": last");
        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(HealChangeKind.RepairedCorruptFile, report.Changes[0].Kind);
        Assert.Equal("{\"garbage\": last", File.ReadAllText(Assert.Single(Quarantined())));
    }

    [Fact]
    public void Heal_BadThenGoodThenBadAgain_StartsTheGiveUpClockAgain()
    {
        SettingsFiles.WriteByRename(SettingsPath, "{");
        Healer.Heal(HealTrigger.Watch);
        Clock.Advance(Settle * HealDecision.MaxSettleRounds);
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        Assert.Equal(HealStatus.Healed, Healer.Heal(HealTrigger.Watch).Status);

        SettingsFiles.WriteByRename(SettingsPath, "{");

        Assert.Equal(HealStatus.Torn, Healer.Heal(HealTrigger.Watch).Status);
    }

    [Fact]
    public void Heal_FileDeletedAfterAHeal_WaitsTheSettleDelayThenCreatesIt()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        Assert.Equal(HealStatus.Healed, Healer.Heal(HealTrigger.Startup).Status);

        // A tree being removed or restored: putting the file back at once would fail the remover's rmdir.
        File.Delete(SettingsPath);
        var report = Healer.Heal(HealTrigger.Watch);
        Assert.Equal(HealStatus.Torn, report.Status);
        Assert.Equal(Settle, report.SettleIn);
        Assert.False(File.Exists(SettingsPath));

        Clock.Advance(Settle);
        var created = Healer.Heal(HealTrigger.Settle);

        Assert.Equal(HealStatus.Healed, created.Status);
        Assert.Equal(HealChangeKind.CreatedFile, created.Changes[0].Kind);
        Assert.True(SettingsFiles.Complies(SettingsPath));
    }

    [Fact]
    public void Heal_FileDeletedAfterAReadThenRewritten_HealsTheRewrite()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(1));
        Healer.Heal(HealTrigger.Startup);
        File.Delete(SettingsPath);
        Assert.Equal(HealStatus.Torn, Healer.Heal(HealTrigger.Watch).Status);

        SettingsFiles.WriteByRename(SettingsPath, SettingsFiles.WithoutProtected(2));
        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.DoesNotContain(report.Changes, c => c.Kind == HealChangeKind.CreatedFile);
        Assert.Equal(2, SettingsFiles.Generation(SettingsPath));
    }

    [Fact]
    public void Heal_NoFileEverSeen_CreatesItAtOnce()
    {
        var report = Healer.Heal(HealTrigger.Startup);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(HealChangeKind.CreatedFile, report.Changes[0].Kind);
        Assert.Null(report.AbsentFor);
    }

    [Fact]
    public void Heal_EvictedEntry_ReportsHowLongItWasOutSinceTheEvictingWrite()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        var modified = DateTimeOffset.UnixEpoch.AddTicks(TestPosix.Stat(SettingsPath).MtimeNs / 100);
        Clock.SetUtcNow(modified + TimeSpan.FromMilliseconds(1234.5));

        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(TimeSpan.FromMilliseconds(1234.5), report.AbsentFor);
        Assert.Contains("the entry was out for 1234.5 ms", Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_SlowDirectoryFlushAfterTheRename_IsNotCountedAsAbsence()
    {
        // Readers see the entry from the rename on; the directory fsync after it only makes the rename durable.
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        var modified = DateTimeOffset.UnixEpoch.AddTicks(TestPosix.Stat(SettingsPath).MtimeNs / 100);
        Clock.SetUtcNow(modified + TimeSpan.FromMilliseconds(3));
        Fs.Before = (op, _, _) =>
        {
            if (op == FsOp.FsyncDirectory)
            {
                Clock.Advance(TimeSpan.FromSeconds(1));
            }
        };

        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(TimeSpan.FromMilliseconds(3), report.AbsentFor);
    }

    [Fact]
    public void Heal_EvictingWriteDatedAfterNow_ReportsZeroNotANegativeTime()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        var modified = DateTimeOffset.UnixEpoch.AddTicks(TestPosix.Stat(SettingsPath).MtimeNs / 100);
        Clock.SetUtcNow(modified - TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.Zero, Healer.Heal(HealTrigger.Watch).AbsentFor);
    }

    [Fact]
    public void Heal_AnotherWriterChangesTheFileAtEveryReplace_GivesUpAsConflictAfterTheRoundLimit()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(0));
        var rewrites = 0;
        Fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusiveAt)
            {
                SettingsFiles.WriteByRename(SettingsPath, SettingsFiles.WithoutProtected(++rewrites));
            }
        };
        var conflicts = new ConcurrentQueue<long>();
        using var meters = new TestHealers.TestMeterFactory();
        using var listener = TestHealers.Listen(meters, "guardian.write_conflicts", conflicts);
        var healer = NewHealer(meters);

        var report = healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Conflict, report.Status);
        Assert.Equal(Healer.MaxConflictRounds, report.Conflicts);
        Assert.Equal(Healer.MaxConflictRounds, Fs.Calls(FsOp.CreateExclusiveAt));
        Assert.Equal(Healer.MaxConflictRounds, Logs.Count("WriteConflict"));
        Assert.Equal(Healer.MaxConflictRounds, conflicts.Sum());
        Assert.Equal(rewrites, SettingsFiles.Generation(SettingsPath));
        Assert.Empty(TestPosix.GuardianTemps(SettingsPath));
    }

    [Fact]
    public void Heal_WriterGoesQuietAfterOneConflict_HealsItsLatestFile()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(0));
        Fs.Before = (op, _, n) =>
        {
            if (op == FsOp.CreateExclusiveAt && n == 1)
            {
                SettingsFiles.WriteByRename(SettingsPath, SettingsFiles.WithoutProtected(1));
            }
        };

        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(1, report.Conflicts);
        Assert.Equal(1, Logs.Count("WriteConflict"));
        Assert.Equal(1, SettingsFiles.Generation(SettingsPath));
        Assert.True(SettingsFiles.Complies(SettingsPath));
    }

    [Fact]
    public async Task HealAsync_TornFileCompletedBeforeTheSettleDelay_WaitsOnTheClockThenHealsIt()
    {
        // One-shot commands have no watcher: they look again when the settle delay has passed.
        File.WriteAllText(SettingsPath, "");
        var heal = Healer.HealAsync(HealTrigger.Command, dryRun: false, CancellationToken.None);
        Assert.False(heal.IsCompleted);

        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(3));
        Clock.Advance(Settle);
        var report = await heal.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(3, SettingsFiles.Generation(SettingsPath));
        Assert.Empty(Quarantined());
    }

    [Fact]
    public async Task HealAsync_DryRunOnAFileThatStaysCorrupt_ReportsTheRepairAndTouchesNothing()
    {
        File.WriteAllText(SettingsPath, "{");
        var heal = Healer.HealAsync(HealTrigger.Command, dryRun: true, CancellationToken.None);

        Clock.Advance(Settle);
        var report = await heal.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(HealChangeKind.RepairedCorruptFile, report.Changes[0].Kind);
        Assert.Equal("{", File.ReadAllText(SettingsPath));
        Assert.Empty(Quarantined());
        Assert.Equal(0, Fs.Calls(FsOp.CreateExclusiveAt));
    }

    [Theory]
    [InlineData(Errno.EBUSY, "single-file bind mount")]
    [InlineData(Errno.EXDEV, "single-file bind mount")]
    [InlineData(Errno.EROFS, "read-only; make the settings directory writable")]
    [InlineData(Errno.EACCES, "may not rename")] // the identity step's hint: PrivilegeTests has its texts
    [InlineData(Errno.EPERM, "may not rename")]
    [InlineData(Errno.ENOSPC, "free space on the settings volume")]
    [InlineData(Errno.EDQUOT, "free space on the settings volume")]
    [InlineData(Errno.EIO, "will retry")]
    public void Heal_SystemCallFails_LogsTheErrnoWithWhatToDo(int errno, string hint)
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        Fs.FailOn(FsOp.RenameAt, errno);

        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Failed, report.Status);
        var line = Assert.Single(Logs.Lines, l => l.Contains("IoFailed", StringComparison.Ordinal));
        Assert.Contains(Errno.Name(errno), line, StringComparison.Ordinal);
        Assert.Contains(hint, line, StringComparison.Ordinal);
    }
}
