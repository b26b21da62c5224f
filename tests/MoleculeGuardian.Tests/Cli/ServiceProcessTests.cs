using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Cli;

/// <summary>The long-running service as a process: signals, logs on stdout, the systemd notify protocol.</summary>
public sealed class ServiceProcessTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _settings;

    public ServiceProcessTests()
    {
        _settings = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    private string[] Args(params string[] extra) =>
        ["run", $"--Guardian:SettingsPath={_settings}", .. extra];

    [Fact]
    public async Task Run_Sigterm_FinishesAndExitsZeroWithinSeconds()
    {
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected());
        using var guardian = ProcessRunner.Start(ProcessRunner.GuardianBinary, Args(), new Dictionary<string, string?> { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" });
        await Eventually.TrueAsync(() => guardian.StandardOutput.Contains("\"Name\":\"Healed\"", StringComparison.Ordinal), "the startup heal");

        guardian.Signal(Posix.SigTerm);

        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("\"Name\":\"Stopping\"", guardian.StandardOutput, StringComparison.Ordinal);
        foreach (var line in guardian.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var _ = JsonDocument.Parse(line);
        }

        Assert.DoesNotContain(SettingsFiles.Secret, guardian.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_settings)!, ".settings.json.guardian-*"));
    }

    [Fact]
    public async Task Run_SigtermWhileATornFileSettlesAtStart_StopsCleanlyAndExitsZero()
    {
        // Start waits for a torn file to settle before it counts as started; a stop in that wait is an ordinary stop.
        File.WriteAllText(_settings, "{\"mcpServers\": {");
        using var guardian = ProcessRunner.Start(ProcessRunner.GuardianBinary, Args("--Guardian:SettleDelay=1h", "--Logging:MinimumLevel=Debug"),
            new Dictionary<string, string?> { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" });
        await Eventually.TrueAsync(() => guardian.StandardOutput.Contains("\"Name\":\"TornRead\"", StringComparison.Ordinal), "the startup heal to find the file torn",
            context: () => guardian.Output);

        guardian.Signal(Posix.SigTerm);

        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("\"Name\":\"Stopping\"", guardian.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", guardian.Output, StringComparison.Ordinal);
        Assert.Equal("{\"mcpServers\": {", File.ReadAllText(_settings));
    }

    [Fact]
    public async Task NoCommand_WithOverrides_RunsTheServiceLikeRun()
    {
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected());
        using var guardian = ProcessRunner.Start(ProcessRunner.GuardianBinary, [$"--Guardian:SettingsPath={_settings}"],
            new Dictionary<string, string?> { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" });
        await Eventually.TrueAsync(() => guardian.StandardOutput.Contains("\"Name\":\"Healed\"", StringComparison.Ordinal), "the startup heal",
            context: () => guardian.Output);

        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected(2));
        await Eventually.TrueAsync(() => SettingsFiles.Complies(_settings) && SettingsFiles.Generation(_settings) == 2, "the eviction healed by the watch");

        guardian.Signal(Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain("Required command", guardian.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoArgumentsAtAll_RunsTheServiceUntilSigterm()
    {
        // Gate off, so the default path (/configs/...) is never touched; the service still starts and idles.
        using var guardian = ProcessRunner.Start(ProcessRunner.GuardianBinary, [], new Dictionary<string, string?>());
        await Eventually.TrueAsync(() => guardian.StandardOutput.Contains("\"Name\":\"GateIdle\"", StringComparison.Ordinal), "the service to start",
            context: () => guardian.Output);

        guardian.Signal(Posix.SigTerm);

        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Run_GateOff_IdlesUntilSigtermThenExitsZero()
    {
        using var guardian = ProcessRunner.Start(ProcessRunner.GuardianBinary, Args(), new Dictionary<string, string?>());
        await Eventually.TrueAsync(() => guardian.StandardOutput.Contains("\"Name\":\"GateIdle\"", StringComparison.Ordinal), "the idle notice");
        Assert.False(guardian.HasExited, "an idle guardian keeps running so a supervisor does not restart-loop it");

        guardian.Signal(Posix.SigTerm);

        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(File.Exists(_settings));
    }

    [Fact]
    public async Task Run_TextLogFormat_WritesReadableLines()
    {
        using var guardian = ProcessRunner.Start(ProcessRunner.GuardianBinary, Args("--Logging:Format=Text"),
            new Dictionary<string, string?> { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" });
        await Eventually.TrueAsync(() => guardian.StandardOutput.Contains("INF Healed", StringComparison.Ordinal), "a readable heal line");
        guardian.Signal(Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>
    /// The guardian notifies when NOTIFY_SOCKET is set and SYSTEMD_EXEC_PID (if set) is its own pid, as systemd sets
    /// them. The launcher is deliberately not named systemd: the parent's name must not matter (under the unit's
    /// ProtectProc=invisible the guardian cannot even see it). It exports its own pid and execs, so the pid matches.
    /// </summary>
    [Fact]
    public async Task UnderSystemd_ReadyOnlyAfterTheStartupHeal_StoppingOnSigterm()
    {
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected());
        var socketPath = _temp.Combine("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var launcher = _temp.Combine("service-manager");
        var pidFile = _temp.Combine("guardian.pid");
        await File.WriteAllTextAsync(launcher, $"#!/bin/sh\necho $$ > '{pidFile}'\nexport SYSTEMD_EXEC_PID=$$\nexec \"$@\"\n");
        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        using var parent = ProcessRunner.Start(launcher, [ProcessRunner.GuardianBinary, .. Args()], new Dictionary<string, string?>
        {
            ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1",
            ["NOTIFY_SOCKET"] = socketPath,
            ["WATCHDOG_USEC"] = "2000000",
        });

        var ready = await ReceiveUntilAsync(socket, "READY=1");

        // The file was healed before READY=1 was sent.
        Assert.Contains("\"Name\":\"Healed\"", parent.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("molecule-platform", await File.ReadAllTextAsync(_settings), StringComparison.Ordinal);
        Assert.DoesNotContain("READY=1", ready[..^1], StringComparer.Ordinal);

        var watchdog = await ReceiveUntilAsync(socket, "WATCHDOG=1");
        Assert.NotEmpty(watchdog);

        var guardianPid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using (var kill = ProcessRunner.Start("kill", ["-TERM", guardianPid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            Assert.Equal(0, await kill.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        }

        await ReceiveUntilAsync(socket, "STOPPING=1");
        Assert.Equal(0, await parent.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>Collects notify datagrams until one holds <paramref name="wanted"/>; returns all of them in order.</summary>
    private static async Task<List<string>> ReceiveUntilAsync(Socket socket, string wanted)
    {
        var messages = new List<string>();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"No '{wanted}' on the notify socket within 20 s; got: {string.Join(" | ", messages)}");
                throw;
            }

            var message = Encoding.UTF8.GetString(buffer, 0, n);
            messages.Add(message);
            if (message.Split('\n').Contains(wanted, StringComparer.Ordinal))
            {
                return messages;
            }
        }
    }
}
