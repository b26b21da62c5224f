using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Files;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Hosting;

/// <summary>The real service on a fake clock: retries come exactly at the capped exponential backoff.</summary>
public sealed class GuardianServiceRetryTests
{
    [Fact]
    public async Task WriteKeepsFailing_RetriesAtCappedExponentialBackoff_ThenHeals()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var fs = new FaultyFileSystemCalls();
        for (var nth = 1; nth <= 4; nth++)
        {
            fs.FailOn(FsOp.CreateExclusive, Errno.EIO, nth);
        }

        await using var guardian = new GuardianHostHarness();
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());

        // Nothing but the retry timer can start a heal: no events, probe and re-check an hour away.
        await guardian.StartAsync(
            settings: new()
            {
                ["Guardian:Watch"] = "Poll",
                ["Guardian:PollInterval"] = "01:00:00",
                ["Guardian:ResyncInterval"] = "01:00:00",
                ["Guardian:RetryMinDelay"] = "00:00:01",
                ["Guardian:RetryMaxDelay"] = "00:00:04",
            },
            services: s => s.AddSingleton<TimeProvider>(time).AddSingleton<IFileSystemCalls>(fs));
        Assert.Equal(1, fs.Calls(FsOp.CreateExclusive));

        var expected = new[] { 1, 2, 4, 4 };
        for (var attempt = 0; attempt < expected.Length; attempt++)
        {
            var before = fs.Calls(FsOp.CreateExclusive);
            time.Advance(TimeSpan.FromSeconds(expected[attempt]) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(before, fs.Calls(FsOp.CreateExclusive));

            time.Advance(TimeSpan.FromMilliseconds(1));
            await Eventually.TrueAsync(() => fs.Calls(FsOp.CreateExclusive) == before + 1, $"retry {attempt + 1} after {expected[attempt]} s");
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
}
