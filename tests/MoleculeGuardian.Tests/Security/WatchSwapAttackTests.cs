using System.Globalization;
using Microsoft.Win32.SafeHandles;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// A user plugin tries to silence a root guardian's watch: uid 1000 owns the directory above the settings directory
/// and swaps the settings directory with a decoy directory of its own (<c>renameat2(RENAME_EXCHANGE)</c>, as fast as
/// it can) while the guardian starts, so that the watch lands on the decoy while the guardian holds, and checks, the
/// real one. Each round reads where the watch landed from <c>/proc/PID/fdinfo</c>, as the attacker could, and which
/// directory the guardian holds: they must be the same one (then a watch on the decoy is a held decoy, which the
/// directory check replaces). With the attacker stopped and the real directory back, an eviction is healed within a
/// few directory checks, never left for the periodic re-check. Rounds go on until several watches landed on the decoy.
/// </summary>
public sealed class WatchSwapAttackTests : IDisposable
{
    private const int MinRounds = 12;
    private const int DecoyRoundsWanted = 4;
    private const int MaxRounds = 40;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(150);

    // The directory check every second; the periodic re-check far beyond the wait, so only the watch or the check can heal.
    private static readonly TimeSpan HealWait = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _temp = new();
    private readonly string _parent;
    private readonly string _real;
    private readonly string _settings;

    public WatchSwapAttackTests()
    {
        File.SetUnixFileMode(_temp.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        _parent = OtherUser.MakeDirectory(_temp.Combine("home"));
        _real = OtherUser.MakeDirectory(Path.Combine(_parent, "claude"));
        OtherUser.MakeDirectory(Path.Combine(_parent, "decoy"));
        _settings = Path.Combine(_real, "settings.json");
    }

    public void Dispose() => _temp.Dispose();

    [RequiresFact("setpriv", Root = true)]
    public async Task Run_AsRootWhileUid1000SwapsTheDirectoryWithADecoy_WatchOnTheHeldDirectoryAndEvictionsHealed()
    {
        Requires.AssertRoot();
        var real = TestPosix.Stat(_real).Inode;
        var decoy = TestPosix.Stat(Path.Combine(_parent, "decoy")).Inode;
        using var parent = LinuxFileSystemCalls.Instance.OpenDirectory(null, _parent, _parent);
        var rounds = new List<string>();
        var deadline = DateTime.UtcNow + Budget;
        for (var round = 0; round < MaxRounds && DateTime.UtcNow < deadline
            && (round < MinRounds || rounds.Count(r => r.StartsWith("watch decoy", StringComparison.Ordinal)) < DecoyRoundsWanted); round++)
        {
            SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected(round));
            TestPosix.Chown(_settings, OtherUser.Id, OtherUser.Id);
            using var ready = new NotifySocket(_temp.Combine($"notify-{round}.sock"));
            using var attacker = StartAttacker(round);
            using var guardian = ProcessRunner.Start(OtherUser.GuardianBinary, ["run", $"--Guardian:SettingsPath={_settings}",
                "--Guardian:DirectoryCheckInterval=1s", "--Guardian:ResyncInterval=10m"],
                new Dictionary<string, string?> { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1", ["NOTIFY_SOCKET"] = ready.Path });

            // Started (the startup heal done) and watching: then the attack has had its chance. What it watches and what it
            // holds are read between two reads of the same watch, so no rebuild (a directory check) falls in between, and
            // again while it holds no directory at all: a heal or a directory check re-walks, and between closing one
            // handle and opening the next there is nothing to compare (seen once on a busy machine).
            await ready.WaitForAsync("READY=1", TimeSpan.FromSeconds(30), () => guardian.Output);
            (int Wd, ulong Inode) watch = default;
            IReadOnlyList<ulong> held = [];
            await Eventually.TrueAsync(() =>
            {
                var before = ProcessWatches.Watches(guardian.Id);
                held = ProcessWatches.HeldInodes(guardian.Id, [real, decoy]);
                var after = ProcessWatches.Watches(guardian.Id);
                watch = before.Count == 1 ? before[0] : default;
                return before.Count == 1 && after.SequenceEqual(before) && held.Count > 0;
            }, $"round {round}: the guardian's watch", context: () => guardian.Output);
            var swaps = await StopAttackerAsync(attacker, round);
            PutTheRealDirectoryBack(parent, real);
            var summary = $"watch {Name(watch.Inode, real, decoy)}, held {string.Join("+", held.Select(h => Name(h, real, decoy)))} ({swaps} swaps)";
            rounds.Add(summary);

            SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected(1000 + round));
            var healed = await Eventually.WithinAsync(() => SettingsFiles.Complies(_settings) && SettingsFiles.Generation(_settings) == 1000 + round, HealWait);

            guardian.Signal(Posix.SigTerm);
            Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
            Assert.True(held.Contains(watch.Inode) && healed, $"round {round}: {summary}: "
                + (held.Contains(watch.Inode) ? "" : "the watch is not on the directory the guardian holds; ")
                + (healed ? "" : $"the eviction was not healed within {HealWait.TotalSeconds} s; ") + $"rounds: {string.Join(", ", rounds)}\n{guardian.Output}");
        }

        Assert.True(rounds.Any(r => r.StartsWith("watch decoy", StringComparison.Ordinal)),
            $"no watch landed on the decoy, so the attack was never tried: {string.Join(", ", rounds)}");
    }

    private static string Name(ulong inode, ulong real, ulong decoy) => inode == real ? "real" : inode == decoy ? "decoy" : "another";

    /// <summary>The attacker, in perl as uid 1000: swaps claude and decoy until the stop file appears, prints how often.</summary>
    private ProcessRunner StartAttacker(int round)
    {
        var script = _temp.Combine("attacker.pl");
        File.WriteAllText(script, """
            use strict; use warnings;
            my ($parent, $stop, $nr) = @ARGV;
            $nr += 0;
            chdir $parent or die "chdir $parent: $!";
            my $swaps = 0;
            my $end = time + 60;
            # syscall writes through string arguments, so they must be variables, not constants.
            my ($a, $b) = ("claude", "decoy");
            while (time < $end) {
                for (1 .. 200) {
                    $swaps++ if syscall($nr, -100, $a, -100, $b, 2) == 0;
                }
                last if -e $stop;
            }
            print "$swaps\n";
            """);
        File.SetUnixFileMode(script, (UnixFileMode)Convert.ToInt32("644", 8));
        return ProcessRunner.Start(OtherUser.Setpriv, OtherUser.As("perl", script, _parent, StopFile(round), OtherUser.RenameAt2Syscall));
    }

    private async Task<long> StopAttackerAsync(ProcessRunner attacker, int round)
    {
        File.WriteAllText(StopFile(round), "");
        Assert.Equal(0, await attacker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        return long.Parse(attacker.StandardOutput.Trim(), CultureInfo.InvariantCulture);
    }

    private string StopFile(int round) => _temp.Combine("stop-" + round.ToString(CultureInfo.InvariantCulture));

    /// <summary>Wherever the attacker left them, the real directory goes back under its name, as it would be after the attack.</summary>
    private void PutTheRealDirectoryBack(SafeFileHandle parent, ulong real)
    {
        if (TestPosix.Stat(_real).Inode != real)
        {
            LinuxFileSystemCalls.Instance.RenameAt(parent, "claude", "decoy", RenameMode.Exchange, _real);
        }

        Assert.Equal(real, TestPosix.Stat(_real).Inode);
    }
}
