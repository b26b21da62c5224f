using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Files;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Hosting;

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
            _fs.FailOn(FsOp.CreateExclusive, Errno.EIO, nth);
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
        Assert.Equal(1, _fs.Calls(FsOp.CreateExclusive));

        var expected = new[] { 1, 2, 4, 4 };
        for (var attempt = 0; attempt < expected.Length; attempt++)
        {
            var before = _fs.Calls(FsOp.CreateExclusive);
            _time.Advance(TimeSpan.FromSeconds(expected[attempt]) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(before, _fs.Calls(FsOp.CreateExclusive));

            _time.Advance(TimeSpan.FromMilliseconds(1));
            await Eventually.TrueAsync(() => _fs.Calls(FsOp.CreateExclusive) == before + 1, $"retry {attempt + 1} after {expected[attempt]} s");
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
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), GuardianService.RetryDelay(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)));
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
        var writesBefore = _fs.Calls(FsOp.CreateExclusive);
        _fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusive)
            {
                release.Wait(TimeSpan.FromSeconds(30));
            }
        };

        // The poll sees the rewrite, the debounce passes, and the heal blocks in its write.
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        _time.Advance(TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromMilliseconds(50));
        await Eventually.TrueAsync(() => _fs.Calls(FsOp.CreateExclusive) > writesBefore, "the heal to reach its write");
        Assert.True(service.IsResponsive(limit));

        _time.Advance(limit);
        Assert.False(service.IsResponsive(limit));

        release.Set();
        await Eventually.TrueAsync(() => service.IsResponsive(limit), "the loop to be live again once the heal finished");
        await Eventually.TrueAsync(guardian.FileComplies, "the wedged heal to complete");
    }
}
