using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Json;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Guarding;

/// <summary>What a heal says: the report's changes and detail, and the reasons and numbers in its log lines.</summary>
public sealed class HealerReportTests : HealerTestBase
{
    private string LogLine(string eventName) => Assert.Single(Logs.Lines, l => l.Contains($" {eventName} ", StringComparison.Ordinal));

    [Fact]
    public void Constructor_NoClock_ThrowsArgumentNull()
    {
        var options = TestHealers.Options(SettingsPath);

        Assert.Throws<ArgumentNullException>(() => new Healer(TestHealers.Store(options), TestHealers.Rules(options), 5, null!, new Logger<Healer>(Logs),
            new GuardianMetrics(new TestHealers.TestMeterFactory())));
    }

    [Fact]
    public void Heal_NoFileEverSeen_ReportsCreatedFileAlone()
    {
        Assert.Equal([new HealChange(HealChangeKind.CreatedFile), new HealChange(HealChangeKind.AddedEntry, "molecule-platform", EntrySource.Configured)],
            Healer.Heal(HealTrigger.Startup).Changes);
    }

    [Fact]
    public void Heal_CorruptFileAfterTheSettleDelay_ReportsTheRepairAloneAndLogsTheParseError()
    {
        File.WriteAllText(SettingsPath, "{\"a\": [1, 2");
        Assert.False(SettingsJson.TryParse(File.ReadAllBytes(SettingsPath), out _, out var parseError));
        Healer.Heal(HealTrigger.Watch);
        Clock.Advance(Settle);

        var report = Healer.Heal(HealTrigger.Settle);

        Assert.Equal([new HealChange(HealChangeKind.RepairedCorruptFile), new HealChange(HealChangeKind.AddedEntry, "molecule-platform", EntrySource.Configured)],
            report.Changes);
        Assert.Contains(parseError, LogLine("Quarantined"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1, 2]", "the root is not a JSON object", "corrupt")]
    [InlineData("{\"hooks\": {}, \"mcpServers\": [\"x\"]}", "mcpServers is not a JSON object", "corrupt")]
    [InlineData("{\"mcpServers\": {\"molecule-platform\": {\"command\": \"npx\"}}}", "an entry of no accepted shape was replaced", "replaced")]
    [InlineData("{\"hooks\": {}, \"hooks\": {\"Stop\": []}}", "the file repeats keys; like the runtime, only the last value of each is kept", "replaced")]
    public void Heal_DropsBytes_LogsWhyItKeptTheOriginal(string content, string reason, string kind)
    {
        File.WriteAllText(SettingsPath, content);

        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, report.Status);
        var line = LogLine("Quarantined");
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.Contains($"settings.json.{kind}-", line, StringComparison.Ordinal);
        Assert.Contains($"Kept the original {Encoding.UTF8.GetByteCount(content)} bytes", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void Heal_RoundLostToAWriter_KeepsOneCopyPerDistinctContent(bool writerChangesTheBytes, int copies)
    {
        var impostor = SettingsFiles.WithImpostor();
        File.WriteAllText(SettingsPath, impostor);
        Fs.Before = (op, _, n) =>
        {
            // The writer replaces the file between the first round's read and its replace: the same bytes, or others.
            if (op == FsOp.CreateExclusiveAt && n == 1)
            {
                SettingsFiles.WriteByRename(SettingsPath, writerChangesTheBytes ? impostor.Replace("1.2.3", "1.2.4", StringComparison.Ordinal) : impostor);
            }
        };

        var report = Healer.Heal(HealTrigger.Watch);

        Assert.Equal((HealStatus.Healed, 1), (report.Status, report.Conflicts));
        Assert.Equal(copies, Directory.GetFiles(Path.GetDirectoryName(SettingsPath)!, "settings.json.replaced-*").Length);
        Assert.Equal(copies, Logs.Count("Quarantined"));
        Assert.NotNull(report.Quarantined);
        Assert.True(File.Exists(report.Quarantined));
    }

    [Fact]
    public void Heal_OneOfTwoProtectedEntriesDrifted_TheOtherMissing_LogsTheDriftAsTheReason()
    {
        var healer = TestHealers.Healer(
            TestHealers.Options(SettingsPath, o => o.ProtectedServers["second"] = new ProtectedServerOptions { Command = "second-mcp" }),
            Fs, Clock, new Logger<Healer>(Logs));
        File.WriteAllText(SettingsPath, "{\"mcpServers\": {\"molecule-platform\": {\"command\": \"npx\"}}}");

        var report = healer.Heal(HealTrigger.Watch);

        Assert.Equal(2, report.Changes.Count);
        Assert.Contains("an entry of no accepted shape was replaced", LogLine("Quarantined"), StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_NoMcpServersAtAll_LogsEachChangeSeparated()
    {
        File.WriteAllText(SettingsPath, "{\"hooks\": {}}");

        Healer.Heal(HealTrigger.Watch);

        Assert.Contains("CreatedMcpServers,AddedEntry:molecule-platform:configured in ", LogLine("Healed"), StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_DryRun_LogsWouldHealWithTheChangesAndWritesNothing()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithImpostor());
        var before = File.ReadAllBytes(SettingsPath);

        var report = Healer.Heal(HealTrigger.Command, dryRun: true);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Contains("would make ReplacedImpostor:molecule-platform:configured", LogLine("WouldHeal"), StringComparison.Ordinal);
        Assert.DoesNotContain(Logs.Lines, l => l.Contains(" Healed ", StringComparison.Ordinal));
        Assert.Equal(before, File.ReadAllBytes(SettingsPath));
    }

    [Fact]
    public void Heal_Healed_LogsTheChangesTriggerAndSize()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());

        var report = Healer.Heal(HealTrigger.Periodic);

        var line = LogLine("Healed");
        Assert.Contains("(Periodic): AddedEntry:molecule-platform:configured in ", line, StringComparison.Ordinal);
        Assert.Contains($"{report.Bytes} bytes written", line, StringComparison.Ordinal);
        Assert.Equal(new FileInfo(SettingsPath).Length, report.Bytes);
    }

    [Fact]
    public void Heal_DeletedFile_LogsItAsMissingWhileItSettles()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());
        Healer.Heal(HealTrigger.Startup);
        File.Delete(SettingsPath);

        Healer.Heal(HealTrigger.Watch);

        Assert.Contains("Settings file is missing (0 bytes)", LogLine("TornRead"), StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_ConflictEveryRound_NumbersTheRoundsAndSaysWhy()
    {
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected(0));
        var n = 0;
        Fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusiveAt)
            {
                SettingsFiles.WriteByRename(SettingsPath, SettingsFiles.WithoutProtected(++n));
            }
        };

        var report = Healer.Heal(HealTrigger.Watch);

        // Each writer replaced the file by rename after the heal's read: the store names exactly that, never a plugin.
        const string Seen = "another file took the settings file's name after the heal read it";
        Assert.Equal($"the file kept changing under the heal; the last round saw that {Seen}", report.Detail);
        var conflicts = Logs.Lines.Where(l => l.Contains(" WriteConflict ", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(1, Healer.MaxConflictRounds).Select(i => $"Heal round {i.ToString(CultureInfo.InvariantCulture)} lost a race: {Seen};"),
            conflicts.Select(l => l[l.IndexOf("Heal round ", StringComparison.Ordinal)..(l.IndexOf(';', StringComparison.Ordinal) + 1)]));
    }

    [Fact]
    public async Task HealAsync_FileAlreadyTornForAWhile_WaitsOnlyTheRestOfTheSettleDelay()
    {
        // The service saw it torn 400 ms ago; a one-shot heal now owes it 100 ms more, not another whole delay.
        File.WriteAllText(SettingsPath, "{");
        Healer.Heal(HealTrigger.Watch);
        Clock.Advance(Settle - TimeSpan.FromMilliseconds(100));

        var heal = Healer.HealAsync(HealTrigger.Command, dryRun: false, CancellationToken.None);
        Clock.Advance(TimeSpan.FromMilliseconds(100));
        var report = await heal.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([new HealChange(HealChangeKind.RepairedCorruptFile), new HealChange(HealChangeKind.AddedEntry, "molecule-platform", EntrySource.Configured)],
            report.Changes);
    }
}
