using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// A user plugin attacks a root guardian, as it would in the concierge: uid 1000 owns the directory above the
/// settings directory and swaps names there with <c>renameat2(RENAME_EXCHANGE)</c> as fast as it can, between the
/// real settings directory, a symlink to a root-only decoy directory, and a root-owned directory that sits in its
/// own; inside the real one it swaps the file and the guardian's temp files with a symlink to the decoy's file, and
/// keeps evicting the entry. Root heals throughout. Afterwards the decoy and the root-owned directory are byte for
/// byte and name for name as they were, and nothing the attacker can reach holds the decoy's secret or belongs to root.
/// </summary>
public sealed class SwapAttackTests : IDisposable
{
    private const string Secret = "DECOY-SECRET-7f3a9c";
    private const int Rounds = 40;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);
    private static readonly Dictionary<string, string?> Gate = new() { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" };
    private readonly TempDirectory _temp = new();
    private readonly string _parent;
    private readonly string _decoy;
    private readonly string _rootDir;
    private readonly string _settings;
    private SafeFileHandle? _rootDirHandle;

    private static LinuxFileSystemCalls Fs => LinuxFileSystemCalls.Instance;

    public SwapAttackTests()
    {
        File.SetUnixFileMode(_temp.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        _parent = _temp.Combine("home");
        _decoy = _temp.Combine("decoy");
        _rootDir = Path.Combine(_parent, "rootdir");
        _settings = Path.Combine(_parent, "claude", "settings.json");
    }

    public void Dispose()
    {
        _rootDirHandle?.Dispose();
        _temp.Dispose();
    }

    [RequiresFact("setpriv", Root = true)]
    public async Task Heal_AsRootWhileUid1000SwapsDirectoriesFilesAndTemps_DecoyAndRootDirectoryUntouched()
    {
        Requires.AssertRoot();
        var (decoyBefore, rootDirBefore, rootDirInode) = Prepare();
        using var attacker = StartAttacker();
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + Budget;
        // At least Rounds rounds, and on until one heal lands in the real directory (most rounds are refused while the
        // attacker's names are in place, which is the point, but a test that never saw a heal proves nothing).
        for (var round = 0; (round < Rounds || !outcomes.Keys.Any(k => k.StartsWith("0 healed", StringComparison.Ordinal)))
            && DateTime.UtcNow < deadline; round++)
        {
            var (code, stdout, _) = await ProcessRunner.RunAsync(OtherUser.GuardianBinary,
                ["heal", $"--Guardian:SettingsPath={_settings}", "--Guardian:SettleDelay=20ms"], Gate);
            var outcome = $"{code} {string.Join(' ', stdout.Split(' ').Take(2))}";
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            AssertUntouched(decoyBefore, rootDirBefore, rootDirInode, $"after round {round}");
        }

        var (swaps, fileSwaps) = await StopAttackerAsync(attacker);
        AssertUntouched(decoyBefore, rootDirBefore, rootDirInode, "at the end");
        AssertNothingOfRootsForTheAttacker(rootDirInode);
        Assert.True(swaps > Rounds && fileSwaps > 0, $"the attacker barely ran: {swaps} directory swaps, {fileSwaps} file swaps");
        var summary = string.Join("; ", outcomes.Select(o => $"{o.Value}× {o.Key}"));
        Assert.True(outcomes.Keys.Any(k => k.StartsWith("0 healed", StringComparison.Ordinal)),
            $"no round healed the real directory, so the test proves nothing about a guardian that does its job: {summary}");
    }

    [RequiresFact("setpriv", Root = true)]
    public async Task Run_AsRootWhileUid1000SwapsAndEvicts_DecoyAndRootDirectoryUntouched()
    {
        Requires.AssertRoot();
        var (decoyBefore, rootDirBefore, rootDirInode) = Prepare();
        using var guardian = ProcessRunner.Start(OtherUser.GuardianBinary,
            ["run", $"--Guardian:SettingsPath={_settings}", "--Guardian:DirectoryCheckInterval=100ms", "--Guardian:SettleDelay=50ms"], Gate);
        using var attacker = StartAttacker();

        await Eventually.TrueAsync(() => Count(guardian.Output, "\"Name\":\"Healed\"") >= 20, "twenty heals while under attack",
            timeout: Budget, context: () => guardian.Output);
        var (swaps, _) = await StopAttackerAsync(attacker);
        guardian.Signal(Posix.SigTerm);
        await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10));

        AssertUntouched(decoyBefore, rootDirBefore, rootDirInode, "after the run");
        AssertNothingOfRootsForTheAttacker(rootDirInode);
        Assert.True(swaps > 0, "the attacker did not run");
    }

    /// <summary>
    /// home/ (uid 1000): claude/ and real/ (the user's settings directories, one of them the configured one at any
    /// moment), evil -> decoy (symlink), rootdir/ (root's, 0755, a settings file without the entry: a root heal would
    /// change it), and in the user's directories lnk -> decoy/settings.json. decoy/ (root, 0700): a secret settings
    /// file and six quarantine-named copies (a root prune there would delete one).
    /// </summary>
    private (string Decoy, string RootDir, ulong RootDirInode) Prepare()
    {
        Directory.CreateDirectory(_decoy);
        File.SetUnixFileMode(_decoy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(_decoy, "settings.json"), "{\"env\": {\"TOKEN\": \"" + Secret + "\"}}\n");
        File.SetUnixFileMode(Path.Combine(_decoy, "settings.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        for (var i = 0; i < 6; i++)
        {
            File.WriteAllText(Path.Combine(_decoy, $"settings.json.corrupt-2020010{i + 1}T000000.000Z"), Secret + i);
        }

        OtherUser.MakeDirectory(_parent);
        foreach (var name in new[] { "claude", "real" })
        {
            var dir = OtherUser.MakeDirectory(Path.Combine(_parent, name));
            File.WriteAllText(Path.Combine(dir, "settings.json"), SettingsFiles.WithoutProtected());
            TestPosix.Chown(Path.Combine(dir, "settings.json"), OtherUser.Id, OtherUser.Id);
            File.CreateSymbolicLink(Path.Combine(dir, "lnk"), Path.Combine(_decoy, "settings.json"));
            TestPosix.Chown(Path.Combine(dir, "lnk"), OtherUser.Id, OtherUser.Id);
        }

        File.CreateSymbolicLink(Path.Combine(_parent, "evil"), _decoy);
        TestPosix.Chown(Path.Combine(_parent, "evil"), OtherUser.Id, OtherUser.Id);
        Directory.CreateDirectory(_rootDir);
        File.WriteAllText(Path.Combine(_rootDir, "settings.json"), SettingsFiles.WithoutProtected());

        // The attacker keeps renaming root's directory: it is looked at through a handle, whatever its name is by then.
        _rootDirHandle = Fs.OpenDirectory(null, _rootDir, _rootDir);
        return (Snapshot(_decoy), Snapshot(_rootDirHandle), TestPosix.Stat(_rootDir).Inode);
    }

    private ProcessRunner StartAttacker()
    {
        var script = _temp.Combine("attacker.pl");
        File.WriteAllText(script, Attacker);
        File.SetUnixFileMode(script, (UnixFileMode)Convert.ToInt32("644", 8));
        var attacker = ProcessRunner.Start(OtherUser.Setpriv,
            OtherUser.As("perl", script, _parent, _temp.Combine("stop"), Budget.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                OtherUser.RenameAt2Syscall));
        return attacker;
    }

    private async Task<(long Swaps, long FileSwaps)> StopAttackerAsync(ProcessRunner attacker)
    {
        File.WriteAllText(_temp.Combine("stop"), "");
        Assert.Equal(0, await attacker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var counts = attacker.StandardOutput.Trim().Split(' ');
        return (long.Parse(counts[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(counts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private void AssertUntouched(string decoyBefore, string rootDirBefore, ulong rootDirInode, string when)
    {
        Assert.True(decoyBefore == Snapshot(_decoy), $"the decoy changed {when}:\nbefore:\n{decoyBefore}\nnow:\n{Snapshot(_decoy)}");
        Assert.Equal(rootDirInode, Fs.FStat(_rootDirHandle!, _rootDir).Inode);
        var now = Snapshot(_rootDirHandle!);
        Assert.True(rootDirBefore == now, $"root's directory changed {when}:\nbefore:\n{rootDirBefore}\nnow:\n{now}");
    }

    /// <summary>Nothing in the attacker's tree holds the decoy's secret, and nothing there is root's but root's own directory.</summary>
    private void AssertNothingOfRootsForTheAttacker(ulong rootDirInode)
    {
        foreach (var path in Walk(_parent))
        {
            var stat = TestPosix.Stat(path);
            if (stat.Inode == rootDirInode || Path.GetDirectoryName(path) is { } up && TestPosix.Stat(up).Inode == rootDirInode)
            {
                continue;
            }

            Assert.True(stat.Uid == OtherUser.Id, $"{path} belongs to uid {stat.Uid}");
            if (stat.Kind == FileKind.Regular)
            {
                Assert.DoesNotContain(Secret, File.ReadAllText(path), StringComparison.Ordinal);
            }
        }
    }

    private static IEnumerable<string> Walk(string dir)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(dir))
        {
            yield return path;
            if (TestPosix.Stat(path).Kind == FileKind.Directory)
            {
                foreach (var inner in Walk(path))
                {
                    yield return inner;
                }
            }
        }
    }

    private static string Snapshot(string dir)
    {
        using var handle = Fs.OpenDirectory(null, dir, dir);
        return Snapshot(handle);
    }

    /// <summary>Every entry of a directory, read through a handle: name, kind, owner, mode and a hash of a file's bytes.</summary>
    private static string Snapshot(SafeFileHandle dir)
    {
        var lines = new List<string>();
        foreach (var name in Fs.ListNames(dir, "").Order(StringComparer.Ordinal))
        {
            var stat = Fs.StatAt(dir, name, name)!.Value;
            var content = "";
            if (stat.Kind == FileKind.Regular)
            {
                using var file = Fs.OpenReadAt(dir, name, name);
                var bytes = new byte[stat.Size];
                _ = RandomAccess.Read(file, bytes, 0);
                content = Convert.ToHexString(SHA256.HashData(bytes));
            }

            lines.Add($"{name} {stat.Kind} {stat.Uid}:{stat.Gid} {Convert.ToString(stat.Mode, 8)} {content}");
        }

        return string.Join('\n', lines);
    }

    private static int Count(string text, string fragment) =>
        text.Split('\n').Count(line => line.Contains(fragment, StringComparison.Ordinal));

    /// <summary>
    /// The attacker, in perl (perl-base is on every Debian system; it has no renameat2 wrapper, so the system call is
    /// made by number). Arguments: the directory it owns, a stop file, a time limit in seconds, the syscall number.
    /// Prints how many directory swaps and file swaps succeeded.
    /// </summary>
    private static readonly string Attacker = """
        use strict; use warnings;
        my ($parent, $stop, $seconds, $nr) = @ARGV;
        $nr += 0;
        chdir $parent or die "chdir $parent: $!";
        my ($swaps, $file_swaps) = (0, 0);
        my $end = time + $seconds;
        while (!-e $stop && time < $end) {
            for my $other ("evil", "real", "rootdir") {
                # syscall writes through string arguments, so they must be variables, not constants.
                my ($from, $to) = ("claude", $other);
                $swaps++ if syscall($nr, -100, $from, -100, $to, 2) == 0;
                if (rand() < 0.2 && opendir(my $dh, "claude")) {
                    for my $name (readdir $dh) {
                        next unless $name eq "settings.json" || $name =~ /^\.settings\.json\.guardian-/;
                        my ($file, $link) = ("claude/$name", "claude/lnk");
                        $file_swaps++ if syscall($nr, -100, $file, -100, $link, 2) == 0;
                    }
                    closedir $dh;
                }
                # Evict the entry now and then, as a plugin merge would: every heal that lands there has work to do.
                if (rand() < 0.3 && open(my $fh, ">", "claude/settings.json")) {
                    print $fh "{\"mcpServers\": {\"x\": {\"command\": \"y\"}}}\n";
                    close $fh;
                }
            }
        }
        print "$swaps $file_swaps\n";
        """;
}
