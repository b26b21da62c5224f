using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using MoleculeGuardian.Json;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Hosting;

/// <summary>The real host, real watcher and real file system, in a temp directory.</summary>
public sealed class GuardianHostTests
{
    [Fact]
    public async Task StartAsync_FileMissesEntry_IsHealedWhenStartReturns()
    {
        await using var guardian = new GuardianHostHarness();
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());

        await guardian.StartAsync();

        // No waiting: "started" means "healed".
        Assert.True(guardian.FileComplies());
        var servers = guardian.ReadDocument()["mcpServers"]!.AsObject();
        Assert.True(servers.ContainsKey("image-gen"), "the user plugin's entry must survive");
        Assert.Contains("\"Trigger\":\"Startup\"", guardian.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_FileAbsent_CreatesItWithTheProtectedEntry()
    {
        await using var guardian = new GuardianHostHarness();

        await guardian.StartAsync();

        Assert.True(guardian.FileComplies());
        Assert.Contains("CreatedFile", guardian.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenameReplace_DropsEntry_IsReassertedKeepingTheUserEntry()
    {
        await using var guardian = new GuardianHostHarness();
        await guardian.StartAsync();
        var before = guardian.Heals;

        SettingsFiles.WriteByRename(guardian.SettingsPath, SettingsFiles.WithoutProtected(1));

        await guardian.WaitHealedAndQuietAsync(before);
        var doc = guardian.ReadDocument();
        Assert.True(doc["mcpServers"]!.AsObject().ContainsKey("image-gen"));
        Assert.Equal(1, doc["generation"]!.GetValue<int>());
    }

    [Fact]
    public async Task InPlaceTruncateThenWrite_DropsEntry_IsReasserted()
    {
        await using var guardian = new GuardianHostHarness();
        await guardian.StartAsync();
        var before = guardian.Heals;

        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(2));

        await guardian.WaitHealedAndQuietAsync(before);
        Assert.Equal(2, guardian.ReadDocument()["generation"]!.GetValue<int>());
    }

    [Fact]
    public async Task BurstOfTwelveBackToBackWrites_EndsHealedWithTheLastWritersContent()
    {
        // How many heals a burst costs is pinned on a fake clock with a blocked heal; here the real watcher and loop
        // must end on the last writer's file plus the entry, whatever the interleaving.
        await using var guardian = new GuardianHostHarness();
        await guardian.StartAsync();
        var before = guardian.Heals;

        for (var i = 1; i <= 12; i++)
        {
            SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(i));
        }

        await guardian.WaitHealedAndQuietAsync(before);
        Assert.InRange(guardian.Heals - before, 1, 12);
        Assert.Equal(12, guardian.ReadDocument()["generation"]!.GetValue<int>());
    }

    [Fact]
    public async Task FileDeleted_IsRecreatedWithTheProtectedEntry()
    {
        await using var guardian = new GuardianHostHarness();
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        await guardian.StartAsync();
        var before = guardian.Heals;

        File.Delete(guardian.SettingsPath);

        await guardian.WaitHealedAndQuietAsync(before);
        Assert.Contains("CreatedFile", guardian.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OwnWrite_EndsInANoOpHeal_NotALoop()
    {
        await using var guardian = new GuardianHostHarness();
        await guardian.StartAsync();
        var before = guardian.Heals;
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        // A loop would answer its own write with another write, so the newest heal event would never be a no-op.
        await guardian.WaitHealedAndQuietAsync(before);
        Assert.Equal(before + 1, guardian.Heals);
    }

    [Fact]
    public async Task DirectoryAbsentAtStart_IsWaitedForThenHealed()
    {
        await using var guardian = new GuardianHostHarness(createDirectory: false);
        await guardian.StartAsync();
        Assert.Contains("WaitingForDirectory", guardian.Log.Text, StringComparison.Ordinal);

        Directory.CreateDirectory(guardian.Directory);

        await Eventually.TrueAsync(guardian.FileComplies, "the file to be created once the directory appears");
        Assert.Equal(1, guardian.Log.Count("\"Name\":\"WaitingForDirectory\""));
    }

    [Fact]
    public async Task DirectoryDeletedAndRecreated_WatchIsRebuiltAndFileHealed()
    {
        await using var guardian = new GuardianHostHarness();

        // A deleted file is recreated only after it stays missing for the settle delay, so the guardian does not put
        // one back into the directory this test is removing (its rmdir would fail). The test's own write comes first.
        await guardian.StartAsync(settings: new() { ["Guardian:SettleDelay"] = "30s" });

        for (var round = 0; round < 5; round++)
        {
            var before = guardian.Heals;
            Directory.Delete(guardian.Directory, recursive: true);
            Directory.CreateDirectory(guardian.Directory);
            SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(round));

            // Quiet, not just compliant: the file complies at the rename, while the heal still holds its displaced
            // temp file, which the next round's recursive delete would otherwise race.
            await guardian.WaitHealedAndQuietAsync(before);
            Assert.Equal(round, SettingsFiles.Generation(guardian.SettingsPath));
        }
    }

    [Fact]
    public async Task NoFileSystemEvents_PeriodicResyncStillHeals()
    {
        await using var guardian = new GuardianHostHarness();

        // Polling so slow it never fires during the test: only the periodic re-check can heal.
        await guardian.StartAsync(settings: new()
        {
            ["Guardian:Watch"] = "Poll",
            ["Guardian:PollInterval"] = "01:00:00",
            ["Guardian:ResyncInterval"] = "00:00:01",
        });
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());

        // The Healed line, not the file: the file complies a moment before its heal is logged.
        await Eventually.TrueAsync(() => guardian.Log.Lines.Any(l => l.Contains("\"Name\":\"Healed\"", StringComparison.Ordinal)
            && l.Contains("\"Trigger\":\"Periodic\"", StringComparison.Ordinal)), "the periodic re-check to heal");
        Assert.True(guardian.FileComplies());
    }

    [Fact]
    public async Task GateOff_FileIsNeverTouched()
    {
        await using var guardian = new GuardianHostHarness();
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        var original = File.ReadAllBytes(guardian.SettingsPath);

        var watchers = 0;
        await guardian.StartAsync(gate: false, services: s => s.AddSingleton<Func<string, FileSystemWatcher>>(directory =>
        {
            Interlocked.Increment(ref watchers);
            return new FileSystemWatcher(directory);
        }));

        // Gated, the startup heal would be done by now; and with no watcher, no later rewrite can be acted on.
        Assert.Equal(original, File.ReadAllBytes(guardian.SettingsPath));
        Assert.Equal(0, Volatile.Read(ref watchers));
        Assert.Equal(1, guardian.Log.Count("\"Name\":\"GateIdle\""));
        Assert.Equal(0, guardian.Heals);
    }

    [Fact]
    public async Task DriftedEntryWithSecrets_IsReplacedAndNoSecretReachesTheLog()
    {
        await using var guardian = new GuardianHostHarness();
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithImpostor());

        await guardian.StartAsync();
        var before = guardian.Heals;
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        await guardian.WaitHealedAndQuietAsync(before);

        Assert.True(guardian.FileComplies());
        Assert.Contains("ReplacedImpostor:molecule-platform", guardian.Log.Text, StringComparison.Ordinal);

        // The replaced entry is kept, not lost: a 0600 copy next to the file.
        var copy = Assert.Single(Directory.GetFiles(guardian.Directory, "settings.json.replaced-*"));
        Assert.Contains(SettingsFiles.Secret, File.ReadAllText(copy), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(copy));

        Assert.DoesNotContain(SettingsFiles.Secret, guardian.Log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("api.example.invalid", guardian.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryLogLine_IsACompactJsonEventWithAStableEventName()
    {
        await using var guardian = new GuardianHostHarness();
        SettingsFiles.WriteInPlace(guardian.SettingsPath, "{ torn");
        await guardian.StartAsync();
        var before = guardian.Heals;
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        await guardian.WaitHealedAndQuietAsync(before);
        await guardian.Host!.StopAsync();

        Assert.NotEmpty(guardian.Log.Lines);
        foreach (var line in guardian.Log.Lines)
        {
            using var json = JsonDocument.Parse(line);
            Assert.True(json.RootElement.TryGetProperty("@t", out _), line);
            Assert.True(json.RootElement.TryGetProperty("@mt", out _), line);
            if (json.RootElement.TryGetProperty("SourceContext", out var source) && source.GetString()!.StartsWith("MoleculeGuardian", StringComparison.Ordinal))
            {
                Assert.True(json.RootElement.GetProperty("EventId").TryGetProperty("Name", out _), line);
            }
        }

        Assert.Contains("\"Name\":\"Quarantined\"", guardian.Log.Text, StringComparison.Ordinal);
        Assert.Contains("\"Name\":\"Stopping\"", guardian.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorruptFileAtStart_IsQuarantinedThenRepaired()
    {
        await using var guardian = new GuardianHostHarness();
        var corrupt = System.Text.Encoding.UTF8.GetBytes("{\"mcpServers\": {\"image-gen\": {\"env\": {\"K\": \"" + SettingsFiles.Secret + "\"}}");
        File.WriteAllBytes(guardian.SettingsPath, corrupt);

        await guardian.StartAsync();

        Assert.True(guardian.FileComplies());
        var copy = Assert.Single(Directory.GetFiles(guardian.Directory, "settings.json.corrupt-*"));
        Assert.Equal(corrupt, File.ReadAllBytes(copy));
        Assert.DoesNotContain(SettingsFiles.Secret, guardian.Log.Text, StringComparison.Ordinal);
        Assert.True(SettingsJson.TryParse(File.ReadAllBytes(guardian.SettingsPath), out _, out _));
    }
}
