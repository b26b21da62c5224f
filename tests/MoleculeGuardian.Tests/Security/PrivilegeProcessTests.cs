using MoleculeGuardian.Cli;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// The built binary, started as root, in settings directories of other owners: whom it acts as is the process's
/// own business (setresuid applies to the whole process), so only a real process can show it.
/// </summary>
public sealed class PrivilegeProcessTests : IDisposable
{
    private static readonly Dictionary<string, string?> Gate = new() { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" };
    private readonly TempDirectory _temp = new();
    private readonly string _dir;
    private readonly string _settings;

    public PrivilegeProcessTests()
    {
        // The temp root is root's (0700); the ordinary user must be able to reach the directory below it.
        File.SetUnixFileMode(_temp.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        _dir = _temp.Combine(".claude");
        _settings = Path.Combine(_dir, "settings.json");
    }

    public void Dispose() => _temp.Dispose();

    private Task<(int ExitCode, string Stdout, string Stderr)> Run(params string[] args) =>
        ProcessRunner.RunAsync(OtherUser.GuardianBinary, [.. args, $"--Guardian:SettingsPath={_settings}"], Gate);

    [RequiresFact(Root = true)]
    public async Task Heal_AsRootInADirectoryOwnedBy1000_ActsAs1000AndCannotReadRootsFile()
    {
        Requires.AssertRoot();
        OtherUser.MakeDirectory(_dir);
        // Root-only content in the user's directory: root could read it, uid 1000 cannot. A guardian that reads it
        // (and would write it back, quarantine it, or copy it) has not given up root.
        File.WriteAllText(_settings, SettingsFiles.WithoutProtected());
        File.SetUnixFileMode(_settings, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var before = File.ReadAllBytes(_settings);

        var (code, stdout, stderr) = await Run("heal");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("\"Name\":\"IdentitySwitched\"", stderr, StringComparison.Ordinal);
        Assert.Contains("\"Uid\":1000", stderr, StringComparison.Ordinal);
        Assert.Contains("EACCES", stdout + stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(_settings));
        Assert.Equal([_settings], Directory.GetFileSystemEntries(_dir));
    }

    [RequiresFact(Root = true)]
    public async Task Heal_AsRootInADirectoryOwnedBy1000_NewFileIsTheUsersAndHealed()
    {
        Requires.AssertRoot();
        OtherUser.MakeDirectory(_dir);

        var (code, stdout, _) = await Run("heal");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("healed", stdout, StringComparison.Ordinal);
        Assert.True(SettingsFiles.Complies(_settings));
        Assert.Equal((OtherUser.Id, OtherUser.Id, "644"), (TestPosix.Stat(_settings).Uid, TestPosix.Stat(_settings).Gid, TestPosix.ModeOf(_settings)));
    }

    [RequiresFact(Root = true)]
    public async Task Check_AsRootInADirectoryOwnedBy1000_ReadsAs1000()
    {
        Requires.AssertRoot();
        OtherUser.MakeDirectory(_dir);
        File.WriteAllText(_settings, SettingsFiles.WithoutProtected());
        File.SetUnixFileMode(_settings, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var (code, stdout, stderr) = await Run("check");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("EACCES", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("AddedEntry", stdout, StringComparison.Ordinal);
    }

    [RequiresFact(Root = true)]
    public async Task Run_AsRootInADirectoryOwnedBy1000_EveryThreadBecomes1000WithNoGroups()
    {
        Requires.AssertRoot();
        OtherUser.MakeDirectory(_dir);
        File.WriteAllText(_settings, SettingsFiles.WithoutProtected());
        TestPosix.Chown(_settings, OtherUser.Id, OtherUser.Id);
        using var guardian = ProcessRunner.Start(OtherUser.GuardianBinary, ["run", $"--Guardian:SettingsPath={_settings}"], Gate);

        await Eventually.TrueAsync(() => SettingsFiles.Complies(_settings) && guardian.Output.Contains("\"Name\":\"Healed\"", StringComparison.Ordinal),
            "the startup heal", context: () => guardian.Output);

        var threads = OtherUser.ThreadCredentials(guardian.Id).ToList();
        Assert.True(threads.Count > 1, "expected the runtime's threads");
        Assert.All(threads, t => Assert.Equal(("1000\t1000\t1000\t1000", "1000\t1000\t1000\t1000", ""), t));
        guardian.Signal(Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [RequiresFact(Root = true)]
    public async Task Heal_AsRootInARootDirectoryAnyoneCanWrite_RefusedAndUntouched()
    {
        Requires.AssertRoot();
        Directory.CreateDirectory(_dir);
        File.SetUnixFileMode(_dir, (UnixFileMode)Convert.ToInt32("1777", 8));
        File.WriteAllText(_settings, SettingsFiles.WithoutProtected());
        var before = File.ReadAllBytes(_settings);

        var (code, stdout, stderr) = await Run("heal");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("anyone can write it", stdout, StringComparison.Ordinal);
        Assert.Contains("Guardian:RunAs", stdout, StringComparison.Ordinal);
        Assert.Contains("\"Name\":\"Refused\"", stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(_settings));
        Assert.Equal([_settings], Directory.GetFileSystemEntries(_dir));
    }

    [RequiresFact(Root = true)]
    public async Task Heal_AsRootWithRunAs_ActsAsThatUserInARootDirectoryAnyoneCanWrite()
    {
        Requires.AssertRoot();
        Directory.CreateDirectory(_dir);
        File.SetUnixFileMode(_dir, (UnixFileMode)Convert.ToInt32("1777", 8));

        var (code, _, stderr) = await Run("heal", "--Guardian:RunAs=1000:1000");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("Guardian:RunAs names it", stderr, StringComparison.Ordinal);
        Assert.Equal((OtherUser.Id, OtherUser.Id), (TestPosix.Stat(_settings).Uid, TestPosix.Stat(_settings).Gid));
    }

    [Fact]
    public async Task Heal_SymlinkOnTheWayToTheFile_RefusedNamingItAndTargetUntouched()
    {
        var real = _temp.Combine("real");
        Directory.CreateDirectory(real);
        File.WriteAllText(Path.Combine(real, "settings.json"), SettingsFiles.WithoutProtected());
        var before = File.ReadAllBytes(Path.Combine(real, "settings.json"));
        Directory.CreateSymbolicLink(_dir, real);

        var (code, stdout, _) = await Run("heal");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains($"{_dir} is a symbolic link", stdout, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(real, "settings.json")));
        Assert.Equal([Path.Combine(real, "settings.json")], Directory.GetFileSystemEntries(real));
    }
}
