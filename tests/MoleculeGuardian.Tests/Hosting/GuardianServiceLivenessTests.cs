using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Files;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Hosting;

/// <summary>The liveness the systemd watchdog reports: a heal wedged in a system call stops the pings.</summary>
public sealed class GuardianServiceLivenessTests
{
    [Fact]
    public async Task HealWedgedLongerThanTheLimit_IsNotResponsive_UntilItFinishes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var fs = new FaultyFileSystemCalls();
        using var release = new ManualResetEventSlim(false);
        await using var guardian = new GuardianHostHarness();
        await guardian.StartAsync(
            settings: new() { ["Guardian:Watch"] = "Poll", ["Guardian:PollInterval"] = "00:00:01", ["Guardian:ResyncInterval"] = "01:00:00" },
            services: s => s.AddSingleton<TimeProvider>(time).AddSingleton<IFileSystemCalls>(fs));
        var service = guardian.Host!.Services.GetRequiredService<GuardianService>();
        var limit = TimeSpan.FromSeconds(30);
        var writesBefore = fs.Calls(FsOp.CreateExclusive);
        fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusive)
            {
                release.Wait(TimeSpan.FromSeconds(30));
            }
        };

        // The poll sees the rewrite, the debounce passes, and the heal blocks in its write.
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        time.Advance(TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromMilliseconds(50));
        await Eventually.TrueAsync(() => fs.Calls(FsOp.CreateExclusive) > writesBefore, "the heal to reach its write");
        Assert.True(service.IsResponsive(limit));

        time.Advance(limit);
        Assert.False(service.IsResponsive(limit));

        release.Set();
        await Eventually.TrueAsync(() => service.IsResponsive(limit), "the loop to be live again once the heal finished");
        await Eventually.TrueAsync(guardian.FileComplies, "the wedged heal to complete");
    }
}
