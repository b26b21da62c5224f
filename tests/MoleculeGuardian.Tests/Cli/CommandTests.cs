using MoleculeGuardian.Cli;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Cli;

/// <summary>The built binary, run as a process: exit codes, stdout answers, stderr messages.</summary>
public sealed class CommandTests : IDisposable
{
    private static readonly Dictionary<string, string?> Gate = new() { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" };
    private readonly TempDirectory _temp = new();
    private readonly string _settings;

    public CommandTests()
    {
        _settings = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    private Task<(int ExitCode, string Stdout, string Stderr)> Run(Dictionary<string, string?>? env, params string[] args) =>
        ProcessRunner.RunAsync(ProcessRunner.GuardianBinary, [.. args, $"--Guardian:SettingsPath={_settings}"], env);

    [Fact]
    public async Task Check_EntryMissing_ExitsOneAndSaysWhat()
    {
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected());

        var (code, stdout, stderr) = await Run(Gate, "check");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("not ok", stdout, StringComparison.Ordinal);
        Assert.Contains("AddedEntry:molecule-platform", stdout, StringComparison.Ordinal);
        Assert.Contains("\"Name\":\"CheckFailed\"", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_AfterHeal_ExitsZero()
    {
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected());

        var heal = await Run(Gate, "heal");
        var check = await Run(Gate, "check");

        Assert.Equal(ExitCodes.Success, heal.ExitCode);
        Assert.Contains("healed", heal.Stdout, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, check.ExitCode);
        Assert.Contains("ok:", check.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_NotAPlatformAgentImage_ExitsZeroAndTouchesNothing()
    {
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected());
        var before = File.ReadAllBytes(_settings);

        var check = await Run(new() { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "false" }, "check");
        var heal = await Run(null, "heal");

        Assert.Equal(ExitCodes.Success, check.ExitCode);
        Assert.Equal(ExitCodes.Success, heal.ExitCode);
        Assert.Contains("not a concierge (MOLECULE_PLATFORM_AGENT_IMAGE_BAKED is unset or off", heal.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(_settings));
    }

    [Fact]
    public async Task HealDryRun_LeavesFileByteIdenticalAndNamesChangesNotValues()
    {
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithImpostor());
        var before = File.ReadAllBytes(_settings);
        var stamp = File.GetLastWriteTimeUtc(_settings);

        var (code, stdout, stderr) = await Run(Gate, "heal", "--dry-run");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("ReplacedImpostor:molecule-platform", stdout, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(_settings));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(_settings));
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(_settings)!));
        Assert.DoesNotContain(SettingsFiles.Secret, stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealDryRun_CorruptFile_NamesTheSameRepairAsHealAndWritesNothing()
    {
        File.WriteAllText(_settings, "{\"mcpServers\": {\"image-gen\": ");

        var dryRun = await Run(Gate, "heal", "--dry-run", "--Guardian:SettleDelay=00:00:00.050");
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(_settings)!));
        var heal = await Run(Gate, "heal", "--Guardian:SettleDelay=00:00:00.050");

        Assert.Contains("RepairedCorruptFile", dryRun.Stdout, StringComparison.Ordinal);
        Assert.Contains("RepairedCorruptFile", heal.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("RepairedRoot", dryRun.Stdout + heal.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Heal_SettingsPathIsADirectory_ExitsOneAndLeavesItAlone()
    {
        Directory.CreateDirectory(_settings);

        var (code, stdout, stderr) = await Run(Gate, "heal");

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("Refused", stdout, StringComparison.Ordinal);
        Assert.Contains("\"Name\":\"Refused\"", stderr, StringComparison.Ordinal);
        Assert.True(Directory.Exists(_settings));
    }

    [Theory]
    [InlineData("--Guardian:Debounce=00:00:00.250")]
    [InlineData("--Guardian:MaxDelay=1")]
    public async Task Heal_RetiredSetting_StillHealsAndSaysTheSettingHasNoEffect(string setting)
    {
        // A rolling upgrade keeps old overrides around: they must not turn into a guardian that exits 78.
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected());

        var (code, _, stderr) = await Run(Gate, "heal", setting);

        Assert.Equal(ExitCodes.Success, code);
        Assert.True(SettingsFiles.Complies(_settings));
        var line = Assert.Single(stderr.Split('\n'), l => l.Contains("\"Name\":\"SettingRetired\"", StringComparison.Ordinal));
        Assert.Contains(setting[2..setting.IndexOf('=', StringComparison.Ordinal)], line, StringComparison.Ordinal);
        Assert.Contains("\"@l\":\"Warning\"", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Guardian:SettleDelay=soon", "Guardian:SettleDelay")]
    [InlineData("--Guardian:SettleDelay=1", "Guardian:SettleDelay must be a duration with a unit, such as 500ms")]
    [InlineData("--Guardian:MaxFileBytes=-1", "Guardian:MaxFileBytes")]
    [InlineData("--Guardian:DriftPolicy=Sometimes", "Guardian:DriftPolicy")]
    [InlineData("--Guardian:Debounc=00:00:01", "Debounc")]
    [InlineData("--Logging:Format=Xml", "Logging:Format")]
    public async Task AnyCommand_InvalidConfiguration_Exits78NamingTheSetting(string setting, string named)
    {
        foreach (var command in new[] { "run", "heal", "check" })
        {
            var (code, _, stderr) = await Run(Gate, command, setting);

            Assert.Equal(ExitCodes.InvalidConfiguration, code);
            Assert.Contains("invalid configuration", stderr, StringComparison.Ordinal);
            Assert.Contains(named, stderr, StringComparison.Ordinal);
            Assert.Contains("\"Name\":\"ConfigurationInvalid\"", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RelativeSettingsPath_Exits78()
    {
        var (code, _, stderr) = await ProcessRunner.RunAsync(ProcessRunner.GuardianBinary, ["check", "--Guardian:SettingsPath=settings.json"], Gate);

        Assert.Equal(ExitCodes.InvalidConfiguration, code);
        Assert.Contains("Guardian:SettingsPath", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--no-such-flag")]
    [InlineData("frobnicate")]
    [InlineData("heal", "--dry-run=maybe")]
    public async Task UnknownArgument_ExitsTwoWithUsageHint(params string[] args)
    {
        var (code, _, stderr) = await ProcessRunner.RunAsync(ProcessRunner.GuardianBinary, args, Gate);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--help", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpAndVersion_ExitZero()
    {
        var help = await ProcessRunner.RunAsync(ProcessRunner.GuardianBinary, ["--help"]);
        var version = await ProcessRunner.RunAsync(ProcessRunner.GuardianBinary, ["--version"]);

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("check", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--Guardian:Key=value", help.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout.Trim());
    }

    [Fact]
    public async Task EnvironmentVariable_OverridesAppSettings()
    {
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected());
        var env = new Dictionary<string, string?>(Gate) { ["Guardian__SettingsPath"] = _settings };

        var (code, stdout, _) = await ProcessRunner.RunAsync(ProcessRunner.GuardianBinary, ["check"], env);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains(_settings, stdout, StringComparison.Ordinal);
    }
}
