using System.Collections.Concurrent;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Guarding;

/// <summary>
/// What a heal says about the protected entry it found, each thing once: an impostor and what is done with it, an entry
/// that cannot be put back, the platform's own entry remembered, and a file the guardian refuses to touch.
/// </summary>
public sealed class HealerNoticeTests : HealerTestBase
{
    private const string Server = ProtectedServerOptions.ManagementName;

    /// <summary>The npx launch the platform writes today, with env keys of the platform's only: an accepted shape.</summary>
    private static readonly string Accepted = SettingsFiles.WithImpostor().Replace(", \"NODE_OPTIONS\": \"--require /tmp/steal.js\"", "", StringComparison.Ordinal);

    private static readonly CommandCheck NothingResolves = _ => "is not found on PATH";

    private string LogLine(string eventName) => Assert.Single(Logs.Lines, l => l.Contains($" {eventName} ", StringComparison.Ordinal));

    [Fact]
    public void Heal_Impostor_SaysItIsReplacedAndCountsItOnce()
    {
        var impostors = new ConcurrentQueue<long>();
        using var meters = new TestHealers.TestMeterFactory();
        using var listener = TestHealers.Listen(meters, "guardian.impostors", impostors);
        var healer = NewHealer(meters);
        File.WriteAllText(SettingsPath, SettingsFiles.WithImpostor());

        Assert.Equal(HealStatus.Healed, healer.Heal(HealTrigger.Watch).Status);
        File.WriteAllText(SettingsPath, SettingsFiles.WithImpostor());
        Assert.Equal(HealStatus.Healed, healer.Heal(HealTrigger.Watch).Status);

        var line = LogLine("ImpostorEntry");
        Assert.Contains($"{Server} in {SettingsPath} holds an entry of none of its accepted shapes (command npx)", line, StringComparison.Ordinal);
        Assert.EndsWith(" it is replaced", line, StringComparison.Ordinal);
        Assert.DoesNotContain("steal.js", line, StringComparison.Ordinal);
        Assert.Equal(1, impostors.Sum());
    }

    [Fact]
    public void Heal_ImpostorUnderKeep_SaysItIsKeptAndLeavesTheFile()
    {
        var healer = NewHealer(configure: o => o.DriftPolicy = DriftPolicy.Keep);
        File.WriteAllText(SettingsPath, SettingsFiles.WithImpostor());

        Assert.Equal(HealStatus.NoChange, healer.Heal(HealTrigger.Watch).Status);

        Assert.EndsWith(" it is kept (DriftPolicy=Keep)", LogLine("ImpostorEntry"), StringComparison.Ordinal);
        Assert.Equal(SettingsFiles.WithImpostor(), File.ReadAllText(SettingsPath));
        Assert.DoesNotContain(Logs.Lines, l => l.Contains("EntryNotRestorable", StringComparison.Ordinal));
    }

    [Fact]
    public void Heal_ImpostorAndNothingRunnable_SaysNothingCanReplaceItAndWhy()
    {
        var healer = NewHealer(check: NothingResolves);
        File.WriteAllText(SettingsPath, SettingsFiles.WithImpostor());

        Assert.Equal(HealStatus.NoChange, healer.Heal(HealTrigger.Watch).Status);

        Assert.EndsWith(" nothing runnable can replace it", LogLine("ImpostorEntry"), StringComparison.Ordinal);
        Assert.Contains("is not found on PATH", LogLine("EntryNotRestorable"), StringComparison.Ordinal);
    }

    [Fact]
    public void Heal_EntryOutAndNothingRunnable_SaysOnceThatItCannotBeRestored()
    {
        var healer = NewHealer(check: NothingResolves);
        SettingsFiles.WriteInPlace(SettingsPath, SettingsFiles.WithoutProtected());

        healer.Heal(HealTrigger.Watch);
        healer.Heal(HealTrigger.Periodic);

        var line = LogLine("EntryNotRestorable");
        Assert.Contains($"{Server} is out of {SettingsPath} and cannot be restored: ", line, StringComparison.Ordinal);
        Assert.Contains("is not found on PATH", line, StringComparison.Ordinal);
        Assert.Equal(SettingsFiles.WithoutProtected(), File.ReadAllText(SettingsPath));
    }

    [Fact]
    public void Heal_ThePlatformsEntry_IsRememberedOnceAndLeftAsItIs()
    {
        File.WriteAllText(SettingsPath, Accepted);

        Assert.Equal(HealStatus.NoChange, Healer.Heal(HealTrigger.Startup).Status);
        Assert.Equal(HealStatus.NoChange, Healer.Heal(HealTrigger.Periodic).Status);

        Assert.Contains($"EntryRemembered {Server} in {SettingsPath} is the platform's entry (shape ", LogLine("EntryRemembered"), StringComparison.Ordinal);
        Assert.Equal(Accepted, File.ReadAllText(SettingsPath));
    }

    [Fact]
    public void Heal_FileOverTheSizeLimit_IsRefusedAndSaidOnce()
    {
        var healer = NewHealer(configure: o => o.MaxFileBytes = 1024);
        var big = SettingsFiles.WithoutProtected().Replace("{", "{\"pad\": \"" + new string('x', 2048) + "\",", StringComparison.Ordinal);
        File.WriteAllText(SettingsPath, big);

        var report = healer.Heal(HealTrigger.Watch);
        var said = LogLine("Refused");
        healer.Heal(HealTrigger.Periodic);

        Assert.Equal(HealStatus.Refused, report.Status);
        Assert.Contains($"Refusing to touch {SettingsPath}: {report.Detail}; leaving it as it is", said, StringComparison.Ordinal);
        Assert.Equal(said, LogLine("Refused"));
        Assert.Equal(big, File.ReadAllText(SettingsPath));
    }
}
