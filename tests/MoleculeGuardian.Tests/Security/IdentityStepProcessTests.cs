using System.Text.RegularExpressions;
using MoleculeGuardian.Cli;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// The built binary, started as root: the identity step is taken before anything in the directory is watched, an ACL
/// that lets another user write counts like the mode's bits, and after a switch the messages name whom the guardian
/// switched to and what to do about it.
/// </summary>
public sealed class IdentityStepProcessTests : IDisposable
{
    private static readonly Dictionary<string, string?> Gate = new() { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" };
    private readonly TempDirectory _temp = new();
    private readonly string _dir;
    private readonly string _settings;

    public IdentityStepProcessTests()
    {
        // The temp root is root's (0700); the ordinary user must be able to reach the directory below it.
        File.SetUnixFileMode(_temp.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        _dir = _temp.Combine(".claude");
        _settings = Path.Combine(_dir, "settings.json");
    }

    public void Dispose() => _temp.Dispose();

    [RequiresFact("setfacl", Root = true)]
    public async Task Heal_AsRootInARootDirectoryWhoseAclLets1000Write_RefusedNamingTheAclAndNothingCreated()
    {
        Requires.AssertRoot();
        Directory.CreateDirectory(_dir);
        OtherUser.SetAcl(_dir, "u:1000:rwx");
        Assert.Equal("775", Convert.ToString(TestPosix.Stat(_dir).Mode & 0x1FF, 8)); // the mode alone says only root writes: group 0

        var (code, stdout, stderr) = await ProcessRunner.RunAsync(OtherUser.GuardianBinary, ["heal", $"--Guardian:SettingsPath={_settings}"], Gate);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains($"{_dir} belongs to root but its access ACL lets user 1000 write it (mode 775)", stdout, StringComparison.Ordinal);
        Assert.Contains("Guardian:RunAs", stdout, StringComparison.Ordinal);
        Assert.Contains("\"Name\":\"Refused\"", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("IdentityKept", stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    /// <summary>
    /// strace records the process's setresuid and inotify calls in the order they happen. The directory appears only
    /// once the guardian has started (READY=1: its startup heal found nothing), so the watch is what waits for it; it
    /// appears as uid 1000's. The inotify instance and its watch come after every thread became uid 1000, and the watch
    /// is added through the walked directory's handle.
    /// </summary>
    [RequiresFact("strace", Root = true)]
    public async Task Run_AsRootAndTheDirectoryOf1000AppearsLater_SwitchesBeforeTheWatchExists()
    {
        Requires.AssertRoot();
        var strace = Deploy.RequiredTool.Find("strace", "strace");
        var trace = _temp.Combine("trace");
        using var ready = new NotifySocket(_temp.Combine("notify.sock"));
        using var guardian = ProcessRunner.Start(strace, ["-f", "-qq", "-e", "trace=/^(setresuid|inotify_init1?|inotify_add_watch)$", "-e", "signal=none",
            "-o", trace, OtherUser.GuardianBinary, "run", $"--Guardian:SettingsPath={_settings}"], new Dictionary<string, string?>(Gate) { ["NOTIFY_SOCKET"] = ready.Path });
        await ready.WaitForAsync("READY=1", TimeSpan.FromSeconds(30), () => guardian.Output);
        var pid = ProcessWatches.ChildOf(guardian.Id) ?? throw new InvalidOperationException("no guardian under strace");

        // Made elsewhere and moved in whole, so the guardian never sees it as root's.
        var staged = OtherUser.MakeDirectory(_temp.Combine("staged"));
        Directory.Move(staged, _dir);
        await Eventually.TrueAsync(() => SettingsFiles.Complies(_settings) && guardian.Output.Contains("\"Name\":\"Healed\"", StringComparison.Ordinal)
            && ProcessWatches.Watches(pid).Count > 0, "the watch and the heal once the directory appeared", context: () => guardian.Output);
        Posix.Kill(pid, Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));

        var lines = File.ReadAllLines(trace);
        var switched = Array.FindIndex(lines, l => l.Contains("setresuid(1000, 1000, 1000", StringComparison.Ordinal));
        var inotify = Array.FindIndex(lines, l => l.Contains("inotify_", StringComparison.Ordinal));
        var context = string.Join('\n', lines.Take(40));
        Assert.True(switched >= 0, $"no switch to uid 1000 in the trace:\n{context}");
        Assert.True(inotify > switched, $"an inotify call came before the switch (line {inotify} < {switched}):\n{context}");
        var watches = lines.Select(l => Regex.Match(l, "inotify_add_watch\\(\\d+, \"([^\"]*)\"")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(watches);
        Assert.All(watches, path => Assert.Matches("^/proc/self/fd/[0-9]+$", path));
        Assert.Equal((OtherUser.Id, OtherUser.Id), (TestPosix.Stat(_settings).Uid, TestPosix.Stat(_settings).Gid));
    }

    [RequiresFact(Root = true)]
    public async Task Heal_AsRootBelowADirectory1000CannotSearch_FailsNamingTheSwitchAndTheFixAndNeverRoot()
    {
        Requires.AssertRoot();
        var (dir, settings) = BelowALockedDirectory();

        var (code, stdout, stderr) = await ProcessRunner.RunAsync(OtherUser.GuardianBinary, ["heal", $"--Guardian:SettingsPath={settings}"], Gate);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("EACCES", stdout, StringComparison.Ordinal);
        Assert.Contains("\"Name\":\"IdentitySwitched\"", stderr, StringComparison.Ordinal);
        AssertHintNamesTheSwitch(stderr, dir);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [RequiresFact(Root = true)]
    public async Task Run_AsRootBelowADirectory1000CannotSearch_EveryHealFailsAlikeAndTheWatchSaysWhy()
    {
        Requires.AssertRoot();
        var (dir, settings) = BelowALockedDirectory();
        using var guardian = ProcessRunner.Start(OtherUser.GuardianBinary, ["run", $"--Guardian:SettingsPath={settings}"], Gate);

        await Eventually.TrueAsync(() => guardian.Output.Contains("\"Name\":\"DirectoryUnreachable\"", StringComparison.Ordinal)
            && guardian.Output.Contains("\"Name\":\"IoFailed\"", StringComparison.Ordinal), "the failed heal and the watch's reason", context: () => guardian.Output);
        guardian.Signal(Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));

        AssertHintNamesTheSwitch(guardian.Output, dir);
        var unreachable = guardian.Output.Split('\n').Single(l => l.Contains("\"Name\":\"DirectoryUnreachable\"", StringComparison.Ordinal));
        Assert.Contains("acts as uid 1000 gid 1000 since its start", unreachable, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Name\":\"Healed\"", guardian.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    /// <summary>locked/ (root, 0700) / .claude (uid 1000): root reaches it, uid 1000 cannot get past locked/.</summary>
    private (string Dir, string Settings) BelowALockedDirectory()
    {
        var locked = _temp.Combine("locked");
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var dir = OtherUser.MakeDirectory(Path.Combine(locked, ".claude"));
        return (dir, Path.Combine(dir, "settings.json"));
    }

    private static void AssertHintNamesTheSwitch(string log, string dir)
    {
        var failed = log.Split('\n').First(l => l.Contains("\"Name\":\"IoFailed\"", StringComparison.Ordinal));
        Assert.Contains("\"Errno\":\"EACCES\"", failed, StringComparison.Ordinal);
        Assert.Contains($"the guardian was started as root and acts as uid 1000 gid 1000 since its start, because it owns {dir}", failed,
            StringComparison.Ordinal);
        Assert.Contains("Guardian:RunAs", failed, StringComparison.Ordinal);
        Assert.DoesNotContain("or root", log, StringComparison.Ordinal);
    }
}
