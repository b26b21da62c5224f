using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Json;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Hosting;

/// <summary>What a heal says: the report's changes and detail, and the reasons and numbers in its log lines.</summary>
public sealed class HealerReportTests : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-23T00:00:00Z", CultureInfo.InvariantCulture));
    private readonly TempDirectory _temp = new();
    private readonly TestLog _log = new();
    private readonly FaultyFileSystemCalls _fs = new();
    private readonly string _path;
    private readonly Healer _healer;

    public HealerReportTests()
    {
        _path = _temp.SettingsPath();
        _healer = TestHealers.Healer(TestHealers.Options(_path, o => o.SettleDelay = Settle), _fs, _time, new Logger<Healer>(_log));
    }

    public void Dispose()
    {
        _log.Dispose();
        _temp.Dispose();
    }

    private string LogLine(string eventName) => Assert.Single(_log.Lines, l => l.Contains($" {eventName} ", StringComparison.Ordinal));

    [Fact]
    public void Constructor_NoOptions_ThrowsArgumentNull()
    {
        var options = TestHealers.Options(_path);

        Assert.Throws<ArgumentNullException>(() => new Healer(TestHealers.Store(options), null!, _time, new Logger<Healer>(_log),
            new GuardianMetrics(new TestHealers.TestMeterFactory())));
    }

    [Fact]
    public void Heal_NoFileEverSeen_ReportsCreatedFileAlone()
    {
        Assert.Equal([new HealChange(HealChangeKind.CreatedFile)], _healer.Heal(HealTrigger.Startup).Changes);
    }

    [Fact]
    public void Heal_CorruptFileAfterTheSettleDelay_ReportsTheRepairAloneAndLogsTheParseError()
    {
        File.WriteAllText(_path, "{\"a\": [1, 2");
        Assert.False(SettingsJson.TryParse(File.ReadAllBytes(_path), out _, out var parseError));
        _healer.Heal(HealTrigger.Watch);
        _time.Advance(Settle);

        var report = _healer.Heal(HealTrigger.Settle);

        Assert.Equal([new HealChange(HealChangeKind.RepairedCorruptFile)], report.Changes);
        Assert.Contains(parseError, LogLine("Quarantined"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1, 2]", "the root is not a JSON object", "corrupt")]
    [InlineData("{\"hooks\": {}, \"mcpServers\": [\"x\"]}", "mcpServers is not a JSON object", "corrupt")]
    [InlineData("{\"mcpServers\": {\"molecule-platform\": {\"command\": \"npx\"}}}", "a drifted protected entry was replaced", "replaced")]
    [InlineData("{\"hooks\": {}, \"hooks\": {\"Stop\": []}}", "the file repeats keys; like the runtime, only the last value of each is kept", "replaced")]
    public void Heal_DropsBytes_LogsWhyItKeptTheOriginal(string content, string reason, string kind)
    {
        File.WriteAllText(_path, content);

        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal(HealStatus.Healed, report.Status);
        var line = LogLine("Quarantined");
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.Contains($"settings.json.{kind}-", line, StringComparison.Ordinal);
        Assert.Contains($"Kept the original {Encoding.UTF8.GetByteCount(content)} bytes", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_OneOfTwoProtectedEntriesDrifted_TheOtherMissing_LogsTheDriftAsTheReason()
    {
        var healer = TestHealers.Healer(
            TestHealers.Options(_path, o => o.ProtectedServers["second"] = new ProtectedServerOptions { Command = "second-mcp" }),
            _fs, _time, new Logger<Healer>(_log));
        File.WriteAllText(_path, "{\"mcpServers\": {\"molecule-platform\": {\"command\": \"npx\"}}}");

        var report = healer.Heal(HealTrigger.Watch);

        Assert.Equal(2, report.Changes.Count);
        Assert.Contains("a drifted protected entry was replaced", LogLine("Quarantined"), StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_NoMcpServersAtAll_LogsEachChangeSeparated()
    {
        File.WriteAllText(_path, "{\"hooks\": {}}");

        _healer.Heal(HealTrigger.Watch);

        Assert.Contains("CreatedMcpServers,AddedEntry:molecule-platform in ", LogLine("Healed"), StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_DryRun_LogsWouldHealWithTheChangesAndWritesNothing()
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithDriftedProtected());
        var before = File.ReadAllBytes(_path);

        var report = _healer.Heal(HealTrigger.Command, dryRun: true);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.Contains("would make ReplacedDrift:molecule-platform", LogLine("WouldHeal"), StringComparison.Ordinal);
        Assert.DoesNotContain(_log.Lines, l => l.Contains(" Healed ", StringComparison.Ordinal));
        Assert.Equal(before, File.ReadAllBytes(_path));
    }

    [Fact]
    public void Heal_Healed_LogsTheChangesTriggerAndSize()
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected());

        var report = _healer.Heal(HealTrigger.Periodic);

        var line = LogLine("Healed");
        Assert.Contains("(Periodic): AddedEntry:molecule-platform in ", line, StringComparison.Ordinal);
        Assert.Contains($"{report.Bytes} bytes written", line, StringComparison.Ordinal);
        Assert.Equal(new FileInfo(_path).Length, report.Bytes);
    }

    [Fact]
    public void Heal_DeletedFile_LogsItAsMissingWhileItSettles()
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected());
        _healer.Heal(HealTrigger.Startup);
        File.Delete(_path);

        _healer.Heal(HealTrigger.Watch);

        Assert.Contains("Settings file is missing (0 bytes)", LogLine("TornRead"), StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_ConflictEveryRound_NumbersTheRoundsAndSaysWhy()
    {
        SettingsFiles.WriteInPlace(_path, SettingsFiles.WithoutProtected(0));
        var n = 0;
        _fs.Before = (op, _, _) =>
        {
            if (op == FsOp.CreateExclusive)
            {
                SettingsFiles.WriteByRename(_path, SettingsFiles.WithoutProtected(++n));
            }
        };

        var report = _healer.Heal(HealTrigger.Watch);

        Assert.Equal("the file kept changing under the heal", report.Detail);
        var rounds = _log.Lines.Where(l => l.Contains(" WriteConflict ", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("heal round ", StringComparison.Ordinal) + 11)..].Split(';')[0]);
        Assert.Equal(Enumerable.Range(1, Healer.MaxConflictRounds).Select(i => i.ToString(CultureInfo.InvariantCulture)), rounds);
    }

    [Fact]
    public async Task HealAsync_FileAlreadyTornForAWhile_WaitsOnlyTheRestOfTheSettleDelay()
    {
        // The service saw it torn 400 ms ago; a one-shot heal now owes it 100 ms more, not another whole delay.
        File.WriteAllText(_path, "{");
        _healer.Heal(HealTrigger.Watch);
        _time.Advance(Settle - TimeSpan.FromMilliseconds(100));

        var heal = _healer.HealAsync(HealTrigger.Command, dryRun: false, CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var report = await heal.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([new HealChange(HealChangeKind.RepairedCorruptFile)], report.Changes);
    }
}
