using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Files;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Hosting;

/// <summary>
/// One heal at a time, on a fake clock and a real directory: a torn or deleted file is another writer mid-operation
/// until it stays as it is for the settle delay; a conflict is retried a bounded number of times; what a heal
/// restores says how long the entry was out.
/// </summary>
public sealed class HealerSettleTests : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-23T00:00:00Z", CultureInfo.InvariantCulture));
    private readonly TempDirectory _temp = new();
    private readonly TestLog _log = new();
    private readonly FaultyFileSystemCalls _fs = new();
    private readonly string _path;
    private readonly Healer _healer;

    public HealerSettleTests()
    {
        _path = _temp.SettingsPath();
        _healer = NewHealer();
    }

    public void Dispose()
    {
        _log.Dispose();
        _temp.Dispose();
    }

    private Healer NewHealer(IMeterFactory? meters = null) =>
        TestHealers.Healer(TestHealers.Options(_path, o => o.SettleDelay = Settle), _fs, _time, new Logger<Healer>(_log), meters);

    private string[] Quarantined() => Directory.GetFiles(_temp.Combine(".claude"), "settings.json.corrupt-*");

    [Theory]
    [InlineData("")]
    [InlineData("{\n  \"mcpServers\": {\n    \"image-gen\": {")]
    public void Heal_EmptyOrCutOffFile_IsTornWritesNothingAndAsksToLookAgainAfterTheSettleDelay(string content)
    {
        File.WriteAllText(_path, content);

        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Torn, report.Status);
        Assert.Equal(Settle, report.SettleIn);
        Assert.True(_healer.Settling);
        Assert.Equal(content, File.ReadAllText(_path));
        Assert.Equal(0, _fs.Calls(FsOp.CreateExclusive));
        Assert.Empty(Quarantined());
    }

    [Fact]
    public void Heal_TornThenCompletedWithinTheSettleDelay_HealsTheWholeFileAndQuarantinesNothing()
    {
        File.WriteAllText(_path, "");
        Assert.Equal(HealStatus.Torn, _healer.Heal(HealTrigger.Watch).Status);

        // The writer finishes a moment later; its change brings the next heal, long before the settle delay.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected(7));
        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal([new HealChange(HealChangeKind.AddedEntry, "molecule-platform")], report.Changes);
        Assert.Equal(7, SettingsFiles.Generation(_path));
        Assert.False(_healer.Settling);
        Assert.Empty(Quarantined());
    }

    [Fact]
    public void Heal_TornAndUnchangedForLessThanTheSettleDelay_StaysTornForTheRestOfIt()
    {
        File.WriteAllText(_path, "{");
        _healer.Heal(HealTrigger.Watch);

        _time.Advance(Settle - TimeSpan.FromMilliseconds(120));
        var report = _healer.Heal(HealTrigger.Periodic);

        Assert.Equal(HealStatus.Torn, report.Status);
        Assert.Equal(TimeSpan.FromMilliseconds(120), report.SettleIn);
        Assert.Empty(Quarantined());
        Assert.Equal("{", File.ReadAllText(_path));
    }

    [Fact]
    public void Heal_TornAndUnchangedForTheSettleDelay_IsQuarantinedAsCorruptAndRepaired()
    {
        File.WriteAllText(_path, "{");
        _healer.Heal(HealTrigger.Watch);

        _time.Advance(Settle);
        var report = _healer.Heal(HealTrigger.Settle);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(HealChangeKind.RepairedCorruptFile, report.Changes[0].Kind);
        Assert.Equal("{", File.ReadAllText(Assert.Single(Quarantined())));
        Assert.True(SettingsFiles.Complies(_path));
        Assert.False(_healer.Settling);
    }

    [Fact]
    public void Heal_TornThenRewrittenStillBad_StartsTheSettleDelayAgain()
    {
        File.WriteAllText(_path, "{");
        _healer.Heal(HealTrigger.Watch);
        _time.Advance(Settle - TimeSpan.FromMilliseconds(100));

        // A different bad file: a writer is still at work, so the settle delay counts from this one.
        File.WriteAllText(_path, "{\"a\"");
        Assert.Equal(Settle, _healer.Heal(HealTrigger.Watch).SettleIn);

        _time.Advance(Settle - TimeSpan.FromMilliseconds(1));
        Assert.Equal(HealStatus.Torn, _healer.Heal(HealTrigger.Settle).Status);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(HealStatus.Healed, _healer.Heal(HealTrigger.Settle).Status);
        Assert.Equal("{\"a\"", File.ReadAllText(Assert.Single(Quarantined())));
    }

    [Fact]
    public void Heal_SameBadBytesWrittenAgainAsANewFile_CountsAsAChange()
    {
        File.WriteAllText(_path, "{");
        _healer.Heal(HealTrigger.Watch);
        _time.Advance(Settle - TimeSpan.FromMilliseconds(100));

        // Same bytes, new inode: the writer replaced the file, so it was not "unchanged" all along.
        SettingsFiles.WriteByRename(_path, "{");
        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Torn, report.Status);
        Assert.Equal(Settle, report.SettleIn);
        Assert.Empty(Quarantined());
    }

    [Fact]
    public void Heal_BadFileThatNeverStopsChanging_IsCorruptAfterTenSettleDelays()
    {
        // Not a writer mid-write but a writer of garbage: a guardian that waited forever would leave the heartbeat
        // failing forever.
        var limit = Settle * Healer.MaxSettleRounds;
        var step = TimeSpan.FromMilliseconds(100);
        var elapsed = TimeSpan.Zero;
        for (var i = 0; elapsed < limit; i++)
        {
            SettingsFiles.WriteByRename(_path, "{\"garbage\": " + i.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(HealStatus.Torn, _healer.Heal(HealTrigger.Watch).Status);
            _time.Advance(step);
            elapsed += step;
        }

        SettingsFiles.WriteByRename(_path, "{\"garbage\": last");
        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(HealChangeKind.RepairedCorruptFile, report.Changes[0].Kind);
        Assert.Equal("{\"garbage\": last", File.ReadAllText(Assert.Single(Quarantined())));
    }

    [Fact]
    public void Heal_BadThenGoodThenBadAgain_StartsTheGiveUpClockAgain()
    {
        SettingsFiles.WriteByRename(_path, "{");
        _healer.Heal(HealTrigger.Watch);
        _time.Advance(Settle * Healer.MaxSettleRounds);
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected());
        Assert.Equal(HealStatus.Healed, _healer.Heal(HealTrigger.Watch).Status);

        SettingsFiles.WriteByRename(_path, "{");

        Assert.Equal(HealStatus.Torn, _healer.Heal(HealTrigger.Watch).Status);
    }

    [Fact]
    public void Heal_FileDeletedAfterAHeal_WaitsTheSettleDelayThenCreatesIt()
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected());
        Assert.Equal(HealStatus.Healed, _healer.Heal(HealTrigger.Startup).Status);

        // A tree being removed or restored: putting the file back at once would fail the remover's rmdir.
        File.Delete(_path);
        var report = _healer.Heal(HealTrigger.Watch);
        Assert.Equal(HealStatus.Torn, report.Status);
        Assert.Equal(Settle, report.SettleIn);
        Assert.False(File.Exists(_path));

        _time.Advance(Settle);
        var created = _healer.Heal(HealTrigger.Settle);

        Assert.Equal(HealStatus.Healed, created.Status);
        Assert.Equal(HealChangeKind.CreatedFile, created.Changes[0].Kind);
        Assert.True(SettingsFiles.Complies(_path));
    }

    [Fact]
    public void Heal_FileDeletedAfterAReadThenRewritten_HealsTheRewrite()
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected(1));
        _healer.Heal(HealTrigger.Startup);
        File.Delete(_path);
        Assert.Equal(HealStatus.Torn, _healer.Heal(HealTrigger.Watch).Status);

        SettingsFiles.WriteByRename(_path, SettingsFiles.WithoutProtected(2));
        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.DoesNotContain(report.Changes, c => c.Kind == HealChangeKind.CreatedFile);
        Assert.Equal(2, SettingsFiles.Generation(_path));
    }

    [Fact]
    public void Heal_NoFileEverSeen_CreatesItAtOnce()
    {
        var report = _healer.Heal(HealTrigger.Startup);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(HealChangeKind.CreatedFile, report.Changes[0].Kind);
        Assert.Null(report.AbsentFor);
    }

    [Fact]
    public void Heal_EvictedEntry_ReportsHowLongItWasOutSinceTheEvictingWrite()
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected());
        var modified = DateTimeOffset.UnixEpoch.AddTicks(TestPosix.Stat(_path).MtimeNs / 100);
        _time.SetUtcNow(modified + TimeSpan.FromMilliseconds(1234.5));

        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal(TimeSpan.FromMilliseconds(1234.5), report.AbsentFor);
        Assert.Contains("the entry was out for 1234.5 ms", _log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_SlowDirectoryFlushAfterTheRename_IsNotCountedAsAbsence()
    {
        // Readers see the entry from the rename on; the directory fsync after it only makes the rename durable.
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected());
        var modified = DateTimeOffset.UnixEpoch.AddTicks(TestPosix.Stat(_path).MtimeNs / 100);
        _time.SetUtcNow(modified + TimeSpan.FromMilliseconds(3));
        _fs.Before = (op, _, _) =>
        {
            if (op == FsOp.FsyncDirectory)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
            }
        };

        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal(TimeSpan.FromMilliseconds(3), report.AbsentFor);
    }

    [Fact]
    public void Heal_EvictingWriteDatedAfterNow_ReportsZeroNotANegativeTime()
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected());
        var modified = DateTimeOffset.UnixEpoch.AddTicks(TestPosix.Stat(_path).MtimeNs / 100);
        _time.SetUtcNow(modified - TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.Zero, _healer.Heal(HealTrigger.Watch).AbsentFor);
    }

    [Fact]
    public void Heal_AnotherWriterChangesTheFileAtEveryReplace_GivesUpAsConflictAfterTheRoundLimit()
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected(0));
        var rewrites = 0;
        _fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusive)
            {
                SettingsFiles.WriteByRename(_path, SettingsFiles.WithoutProtected(++rewrites));
            }
        };
        var conflicts = new ConcurrentQueue<long>();
        using var meters = new TestHealers.TestMeterFactory();
        using var listener = Listen(meters, "guardian.write_conflicts", conflicts);
        var healer = NewHealer(meters);

        var report = healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Conflict, report.Status);
        Assert.Equal(Healer.MaxConflictRounds, report.Conflicts);
        Assert.Equal(Healer.MaxConflictRounds, _fs.Calls(FsOp.CreateExclusive));
        Assert.Equal(Healer.MaxConflictRounds, _log.Count("WriteConflict"));
        Assert.Equal(Healer.MaxConflictRounds, conflicts.Sum());
        Assert.Equal(rewrites, SettingsFiles.Generation(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Heal_WriterGoesQuietAfterOneConflict_HealsItsLatestFile()
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected(0));
        _fs.Before = (op, _, n) =>
        {
            if (op == FsOp.CreateExclusive && n == 1)
            {
                SettingsFiles.WriteByRename(_path, SettingsFiles.WithoutProtected(1));
            }
        };

        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(1, report.Conflicts);
        Assert.Equal(1, _log.Count("WriteConflict"));
        Assert.Equal(1, SettingsFiles.Generation(_path));
        Assert.True(SettingsFiles.Complies(_path));
    }

    [Fact]
    public async Task HealAsync_TornFileCompletedBeforeTheSettleDelay_WaitsOnTheClockThenHealsIt()
    {
        // One-shot commands have no watcher: they look again when the settle delay has passed.
        File.WriteAllText(_path, "");
        var heal = _healer.HealAsync(HealTrigger.Command, dryRun: false, CancellationToken.None);
        Assert.False(heal.IsCompleted);

        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected(3));
        _time.Advance(Settle);
        var report = await heal.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(3, SettingsFiles.Generation(_path));
        Assert.Empty(Quarantined());
    }

    [Fact]
    public async Task HealAsync_DryRunOnAFileThatStaysCorrupt_ReportsTheRepairAndTouchesNothing()
    {
        File.WriteAllText(_path, "{");
        var heal = _healer.HealAsync(HealTrigger.Command, dryRun: true, CancellationToken.None);

        _time.Advance(Settle);
        var report = await heal.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Equal(HealChangeKind.RepairedCorruptFile, report.Changes[0].Kind);
        Assert.Equal("{", File.ReadAllText(_path));
        Assert.Empty(Quarantined());
        Assert.Equal(0, _fs.Calls(FsOp.CreateExclusive));
    }

    [Theory]
    [InlineData(Errno.EBUSY, "single-file bind mount")]
    [InlineData(Errno.EXDEV, "single-file bind mount")]
    [InlineData(Errno.EROFS, "read-only; make the settings directory writable")]
    [InlineData(Errno.EACCES, "run the guardian as the settings file's owner")]
    [InlineData(Errno.EPERM, "run the guardian as the settings file's owner")]
    [InlineData(Errno.ENOSPC, "free space on the settings volume")]
    [InlineData(Errno.EDQUOT, "free space on the settings volume")]
    [InlineData(Errno.EIO, "will retry")]
    public void Heal_SystemCallFails_LogsTheErrnoWithWhatToDo(int errno, string hint)
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected());
        _fs.FailOn(FsOp.Rename, errno);

        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Failed, report.Status);
        var line = Assert.Single(_log.Lines, l => l.Contains("IoFailed", StringComparison.Ordinal));
        Assert.Contains(Errno.Name(errno), line, StringComparison.Ordinal);
        Assert.Contains(hint, line, StringComparison.Ordinal);
    }

    private static MeterListener Listen(IMeterFactory scope, string instrumentName, ConcurrentQueue<long> into)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == instrumentName && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => into.Enqueue(value));
        listener.Start();
        return listener;
    }
}
