using MoleculeGuardian.Configuration;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Deploy;

public sealed class SystemdUnitTests : IDisposable
{
    private const string ProductionExecStart = "ExecStart=/opt/molecule-guardian/molecule-guardian run";

    private static readonly string UnitPath = RepoPaths.Of("deploy", "systemd", "molecule-guardian.service");

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("guardian-unit-");

    public void Dispose() => _temp.Delete(recursive: true);

    /// <summary>
    /// `systemd-analyze verify` (systemd 252) checks the unit offline. Exactly one thing is substituted: the ExecStart
    /// binary path, because verify reports "Command ... is not executable: No such file or directory" for a binary
    /// that is not installed on the test machine. The stand-in is an executable at a temp path; every other line,
    /// ExecStart's arguments included, is copied unchanged. Nothing is needed for User=agent: verify does not resolve
    /// users (that happens when the service starts), so a machine without the user prints nothing about it.
    /// verify exits 0 even when it warns (unknown keys, unparsable values are "ignoring" warnings), so the test
    /// asserts that it prints nothing at all, not just its exit code.
    /// </summary>
    [RequiresFact("systemd-analyze")]
    public async Task SystemdUnit_VerifiedBySystemdAnalyze_HasNoWarnings()
    {
        var analyze = RequiredTool.Find("systemd-analyze", "systemd");
        var copy = CopyUnitWithStandInBinary();

        var (exitCode, output) = await ProcessRunner.RunToolAsync(analyze, "verify", copy);

        Assert.True(exitCode == 0 && output.Length == 0, $"systemd-analyze verify {copy} exited {exitCode}, printed:\n{output}");
    }

    /// <summary>Proves the check above can fail: the same harness reports a directive systemd does not know.</summary>
    [RequiresFact("systemd-analyze")]
    public async Task SystemdUnit_WithAnUnknownDirective_VerifyReportsIt()
    {
        var analyze = RequiredTool.Find("systemd-analyze", "systemd");
        var copy = CopyUnitWithStandInBinary();
        File.WriteAllText(copy, File.ReadAllText(copy).Replace("Type=notify", "Type=notify\nRestartPreventExitStatuss=78", StringComparison.Ordinal));

        var (_, output) = await ProcessRunner.RunToolAsync(analyze, "verify", copy);

        Assert.Contains("RestartPreventExitStatuss", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The hardening stays: `systemd-analyze security` (offline, on the unit file) rates the exposure at most 1.4, the
    /// score of the unit as first shipped. A weakened sandbox (a dropped Protect*= line) raises it.
    /// </summary>
    [RequiresFact("systemd-analyze")]
    public async Task SystemdUnit_SecurityExposure_AtMost1Point4()
    {
        var exposure = await ExposureAsync(CopyUnitWithStandInBinary());

        Assert.True(exposure <= 1.4m, $"exposure {exposure} > 1.4");
    }

    [RequiresFact("systemd-analyze")]
    public async Task SystemdUnit_WithoutProtectSystem_ExposureRises()
    {
        var copy = CopyUnitWithStandInBinary();
        File.WriteAllLines(copy, File.ReadAllLines(copy).Where(line => !line.StartsWith("ProtectSystem=", StringComparison.Ordinal)
            && !line.StartsWith("PrivateDevices=", StringComparison.Ordinal)));

        Assert.True(await ExposureAsync(copy) > 1.4m);
    }

    [Theory]
    [InlineData("Service", "Type", "notify")]
    [InlineData("Service", "ExecStart", "/opt/molecule-guardian/molecule-guardian run")]
    [InlineData("Service", "Restart", "on-failure")]
    [InlineData("Service", "RestartPreventExitStatus", "78")]
    [InlineData("Service", "User", "agent")]
    [InlineData("Service", "Group", "agent")]
    [InlineData("Service", "EnvironmentFile", "-/etc/default/molecule-guardian")]
    [InlineData("Service", "WatchdogSec", "30s")]
    [InlineData("Service", "TimeoutStopSec", "10s")]
    [InlineData("Service", "NoNewPrivileges", "yes")]
    [InlineData("Service", "ProtectSystem", "strict")]
    [InlineData("Service", "RestrictAddressFamilies", "AF_UNIX")]
    [InlineData("Service", "CapabilityBoundingSet", "")]
    [InlineData("Service", "MemoryDenyWriteExecute", "yes")]
    [InlineData("Install", "WantedBy", "multi-user.target")]
    public void SystemdUnit_KeyDirective_HasExpectedValue(string section, string key, string expected)
    {
        var values = Directives(File.ReadAllLines(UnitPath), section, key);

        Assert.Equal([expected], values);
    }

    /// <summary>ProtectSystem=strict leaves only ReadWritePaths= writable; the guardian writes a temp file beside the
    /// settings file and renames it, so the whole directory of the default settings path must be writable.</summary>
    [Fact]
    public void SystemdUnit_ReadWritePaths_IsTheDefaultSettingsDirectory()
    {
        var settingsDirectory = Path.GetDirectoryName(new GuardianOptions().SettingsPath);
        Assert.NotNull(settingsDirectory);

        var values = Directives(File.ReadAllLines(UnitPath), "Service", "ReadWritePaths");

        Assert.Equal([settingsDirectory], values);
    }

    [Fact]
    public void EnvironmentFileExample_Always_SetsTheGate()
    {
        var lines = File.ReadAllLines(RepoPaths.Of("deploy", "systemd", "molecule-guardian.default"));

        Assert.Contains("MOLECULE_PLATFORM_AGENT_IMAGE_BAKED=1", lines);
    }

    private static async Task<decimal> ExposureAsync(string unit)
    {
        var analyze = RequiredTool.Find("systemd-analyze", "systemd");
        var (exitCode, output) = await ProcessRunner.RunToolAsync(analyze, "security", "--offline=yes", "--no-pager", unit);
        var match = System.Text.RegularExpressions.Regex.Match(output, @"Overall exposure level for [^:]+: (\d+\.\d+)");
        Assert.True(exitCode == 0 && match.Success, $"systemd-analyze security exited {exitCode}:\n{output}");
        return decimal.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private string CopyUnitWithStandInBinary()
    {
        var standIn = Path.Combine(_temp.FullName, "molecule-guardian");
        File.WriteAllText(standIn, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(standIn, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Assert.DoesNotContain(' ', standIn);

        var lines = File.ReadAllLines(UnitPath);
        Assert.Single(lines, line => line == ProductionExecStart);
        var copy = Path.Combine(_temp.FullName, "molecule-guardian.service");
        File.WriteAllLines(copy, lines.Select(line => line == ProductionExecStart ? $"ExecStart={standIn} run" : line));
        return copy;
    }

    /// <summary>Values of KEY= in [SECTION], in order; comments and other sections are skipped.</summary>
    private static List<string> Directives(IEnumerable<string> lines, string section, string key)
    {
        var values = new List<string>();
        var current = string.Empty;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                current = line.Trim('[', ']');
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (current == section && equals > 0 && line[..equals].Trim() == key)
            {
                values.Add(line[(equals + 1)..].Trim());
            }
        }

        return values;
    }
}
