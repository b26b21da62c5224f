using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Files;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Guarding;

/// <summary>
/// The real service on a fake clock, with system calls that fail or block on demand: retries come exactly at the
/// capped exponential backoff, and a wedged heal shows in the liveness the systemd watchdog reports.
/// </summary>
public sealed class GuardianServiceFakeClockTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-23T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly FaultyFileSystemCalls _fs = new();

    /// <summary>Starts the host on the fake clock and the faulty calls; only the timers named in settings drive heals.</summary>
    private async Task<GuardianHostHarness> StartAsync(Dictionary<string, string?> settings, bool writeFile)
    {
        var guardian = new GuardianHostHarness();
        if (writeFile)
        {
            SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        }

        await guardian.StartAsync(settings: settings, services: s => s.AddSingleton<TimeProvider>(_time).AddSingleton<IFileSystemCalls>(_fs));
        return guardian;
    }

    [Fact]
    public async Task WriteKeepsFailing_RetriesAtCappedExponentialBackoff_ThenHeals()
    {
        for (var nth = 1; nth <= 4; nth++)
        {
            _fs.FailOn(FsOp.CreateExclusiveAt, Errno.EIO, nth);
        }

        // Nothing but the retry timer can start a heal: no events, probe and re-check an hour away.
        await using var guardian = await StartAsync(
            new()
            {
                ["Guardian:Watch"] = "Poll",
                ["Guardian:PollInterval"] = "01:00:00",
                ["Guardian:ResyncInterval"] = "01:00:00",
                ["Guardian:RetryMinDelay"] = "00:00:01",
                ["Guardian:RetryMaxDelay"] = "00:00:04",
            },
            writeFile: true);
        Assert.Equal(1, _fs.Calls(FsOp.CreateExclusiveAt));

        var expected = new[] { 1, 2, 4, 4 };
        for (var attempt = 0; attempt < expected.Length; attempt++)
        {
            // The clock moves only once the retry is armed (logged after arming): a step taken earlier would count
            // from the wrong moment.
            await Eventually.TrueAsync(() => guardian.Log.Count("\"Name\":\"RetryScheduled\"") == attempt + 1, $"retry {attempt + 1} to be scheduled");
            var before = _fs.Calls(FsOp.CreateExclusiveAt);
            _time.Advance(TimeSpan.FromSeconds(expected[attempt]) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(before, _fs.Calls(FsOp.CreateExclusiveAt));

            _time.Advance(TimeSpan.FromMilliseconds(1));
            await Eventually.TrueAsync(() => _fs.Calls(FsOp.CreateExclusiveAt) == before + 1, $"retry {attempt + 1} after {expected[attempt]} s");
        }

        await Eventually.TrueAsync(guardian.FileComplies, "the fifth attempt to heal the file");
        var delays = guardian.Log.Lines.Where(l => l.Contains("\"Name\":\"RetryScheduled\"", StringComparison.Ordinal))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("DelayMs").GetDouble());
        Assert.Equal([1000d, 2000d, 4000d, 4000d], delays);
        Assert.Equal(4, guardian.Log.Count("\"Name\":\"IoFailed\""));
        Assert.Contains("\"Errno\":\"EIO\"", guardian.Log.Text, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(guardian.Directory, ".settings.json.guardian-*"));
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 2000)]
    [InlineData(3, 4000)]
    [InlineData(7, 60000)]
    [InlineData(1000, 60000)]
    public void RetryDelay_Attempt_DoublesFromMinimumUpToCap(int attempt, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), LoopSchedule.Backoff(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task HealWedgedLongerThanTheLimit_IsNotResponsive_UntilItFinishes()
    {
        using var release = new ManualResetEventSlim(false);
        await using var guardian = await StartAsync(
            new() { ["Guardian:Watch"] = "Poll", ["Guardian:PollInterval"] = "00:00:01", ["Guardian:ResyncInterval"] = "01:00:00" },
            writeFile: false);
        var service = guardian.Host!.Services.GetRequiredService<GuardianService>();
        var limit = TimeSpan.FromSeconds(30);
        var writesBefore = _fs.Calls(FsOp.CreateExclusiveAt);
        _fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusiveAt)
            {
                release.Wait(TimeSpan.FromSeconds(30));
            }
        };

        // The poll sees the rewrite, the heal starts at once and blocks in its write.
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        _time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => _fs.Calls(FsOp.CreateExclusiveAt) > writesBefore, "the heal to reach its write");
        Assert.True(service.IsResponsive(limit));

        _time.Advance(limit);
        Assert.False(service.IsResponsive(limit));

        release.Set();
        await Eventually.TrueAsync(() => service.IsResponsive(limit), "the loop to be live again once the heal finished");
        await Eventually.TrueAsync(guardian.FileComplies, "the wedged heal to complete");
    }

    [Fact]
    public async Task Change_ClockStandingStill_IsHealedAtOnce()
    {
        // Nothing on the fake clock ever fires here: a heal that waited for a quiet time would never come.
        await using var guardian = await StartAsync([], writeFile: false);
        var before = guardian.Heals;

        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(4));

        await guardian.WaitHealedAndQuietAsync(before);
        Assert.Equal(4, SettingsFiles.Generation(guardian.SettingsPath));
        Assert.Contains("\"Trigger\":\"Watch\"", guardian.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TornWrite_CompletedLater_IsHealedOnItsNextChangeWithoutTheClock()
    {
        await using var guardian = await StartAsync([], writeFile: false);
        var before = guardian.Heals;

        // The runtime's truncate-then-write, caught between the two: the guardian must look and wait, not repair.
        using (var writer = TestPosix.OpenTruncate(guardian.SettingsPath))
        {
            await Eventually.TrueAsync(() => guardian.Log.Count("\"Name\":\"TornRead\"") > 0, "the guardian to read the truncated file");
            RandomAccess.Write(writer, System.Text.Encoding.UTF8.GetBytes(SettingsFiles.WithoutProtected(5)), 0);
        }

        await guardian.WaitHealedAndQuietAsync(before);
        Assert.Equal(5, SettingsFiles.Generation(guardian.SettingsPath));
        Assert.Empty(Directory.GetFiles(guardian.Directory, "settings.json.corrupt-*"));
    }

    [Fact]
    public async Task TornWrite_LeftAsItIs_IsRepairedWhenTheSettleDelayPasses()
    {
        await using var guardian = await StartAsync(new() { ["Guardian:SettleDelay"] = "2s" }, writeFile: false);

        File.WriteAllText(guardian.SettingsPath, "{\"mcpServers\": {");
        await Eventually.TrueAsync(() => guardian.Log.Count("\"Name\":\"TornRead\"") > 0, "the torn read");
        Assert.Empty(Directory.GetFiles(guardian.Directory, "settings.json.corrupt-*"));

        // Only the settle timer can act now; step the clock until it has (the step may come before it is armed).
        await Eventually.TrueAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromSeconds(2));
                return guardian.Log.Text.Contains("RepairedCorruptFile", StringComparison.Ordinal);
            },
            "the settle timer to repair the file");
        // The settle timer's heal, or one for a late event of the same write (inotify under load) that came once the
        // clock had passed the delay: either way the file was repaired only after it stayed as it was for the delay.
        Assert.Contains(guardian.Log.Lines, line => line.Contains("RepairedCorruptFile", StringComparison.Ordinal)
            && (line.Contains("\"Trigger\":\"Settle\"", StringComparison.Ordinal) || line.Contains("\"Trigger\":\"Watch\"", StringComparison.Ordinal)));
        Assert.Equal("{\"mcpServers\": {", File.ReadAllText(Assert.Single(Directory.GetFiles(guardian.Directory, "settings.json.corrupt-*"))));
        Assert.True(guardian.FileComplies());
    }

    [Fact]
    public async Task ManyChanges_WhileAHealIsInFlight_CostOneMoreHealAndOneWrite()
    {
        await using var guardian = await StartAsync([], writeFile: false);
        using var release = new ManualResetEventSlim(false);
        using var blocked = new ManualResetEventSlim(false);
        var healsBefore = guardian.Heals;
        _fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusiveAt && !release.IsSet)
            {
                blocked.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        };

        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(0));
        Assert.True(blocked.Wait(TimeSpan.FromSeconds(15)), "the heal did not reach its write");
        for (var i = 1; i <= 12; i++)
        {
            SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(i));
        }

        release.Set();
        await guardian.WaitHealedAndQuietAsync(healsBefore);

        // The heal in flight finds the file changed under it, heals the newest, and that is the only write; the one
        // follow-up the twelve changes were owed finds nothing to do.
        Assert.Equal(healsBefore + 1, guardian.Heals);
        Assert.Equal(1, guardian.Log.Count("\"Name\":\"WriteConflict\""));
        Assert.Equal(12, SettingsFiles.Generation(guardian.SettingsPath));
    }

    [Fact]
    public async Task WritesThatKeepLosingRaces_BackOffThenHeal_AFightNotAStreamOfRetryWarnings()
    {
        await using var guardian = await StartAsync(new() { ["Guardian:FightThresholdPerMinute"] = "5" }, writeFile: false);
        var healsBefore = guardian.Heals;

        // Another writer beats each of the guardian's next 12 writes; the guardian never gets one through until then.
        var beaten = 0;
        _fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusiveAt && Interlocked.Increment(ref beaten) <= 12)
            {
                SettingsFiles.WriteByRename(guardian.SettingsPath, SettingsFiles.WithoutProtected(beaten));
            }
        };
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(0));

        // A heal that loses all its rounds backs off: nothing more happens until the clock reaches the back-off's end.
        await Eventually.TrueAsync(() => guardian.Log.Count("\"Name\":\"BackingOff\"") == 1, "the first back-off");
        var conflictsAtBackOff = guardian.Log.Count("\"Name\":\"WriteConflict\"");
        Assert.Equal(Healer.MaxConflictRounds, conflictsAtBackOff);
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(99));
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(0));
        Assert.Equal(conflictsAtBackOff, guardian.Log.Count("\"Name\":\"WriteConflict\""));

        await Eventually.TrueAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromMilliseconds(10));
                return guardian.Heals > healsBefore && guardian.FileComplies();
            },
            "the heal after the back-off");
        Assert.Equal(12, guardian.Log.Count("\"Name\":\"WriteConflict\""));
        Assert.Equal(1, guardian.Log.Count("\"Name\":\"BackingOff\""));
        Assert.Equal(1, guardian.Log.Count("\"Name\":\"FightingAnotherWriter\""));
        Assert.Equal(0, guardian.Log.Count("\"Name\":\"RetryScheduled\""));
        Assert.Equal(12, SettingsFiles.Generation(guardian.SettingsPath));
    }
}
