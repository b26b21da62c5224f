namespace MoleculeGuardian.DeployTests;

/// <summary>
/// The image ships two guardians: molecule-guardian without the OTLP exporter, which every concierge runs, and
/// molecule-guardian-otel with it, which the deployer picks with Supervisor__GuardianPath.
/// </summary>
public sealed partial class SidecarTests
{
    [Fact]
    public async Task Running_OtelGuardianPickedWithAnEndpoint_ExportsAndHeals()
    {
        // Nothing listens there: exports fail (one warning), healing does not care.
        await StartContainerAsync("-e", "Supervisor__GuardianPath=/opt/molecule-guardian/molecule-guardian-otel",
            "-e", "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", "-e", "OTEL_METRIC_EXPORT_INTERVAL=500");
        await WaitForLogAsync(line => line.Contains("\"Name\":\"MetricsExportEnabled\"", StringComparison.Ordinal), "the exporting build to start");
        await WaitForLogAsync(line => line.Contains("\"Name\":\"Started\"", StringComparison.Ordinal), "the guardian to start watching");

        var guardians = await GuardianProcessesAsync();
        Assert.True(guardians.Count == 1 && guardians[0].Uid == "1000", $"guardian processes (pid, uid): {string.Join(", ", guardians)}");
        Assert.Equal("/opt/molecule-guardian/molecule-guardian-otel", await ExecutableOfAsync(guardians[0].Pid));
        Assert.Equal(1, await DiagnosticSocketsAsync(guardians[0].Pid));
        var logs = await LogLinesAsync();
        Assert.DoesNotContain(logs, line => line.Contains("\"Name\":\"MetricsExportUnavailable\"", StringComparison.Ordinal));
        Assert.Single(logs, line => line.Contains("\"Name\":\"GuardianStarted\"", StringComparison.Ordinal));

        await WriteAsAgentAsync("""{"mcpServers": {"image-gen": {"command": "npx"}}}""");
        await WaitAsync(() => File.ReadAllText(HostSettings).Contains("\"molecule-platform\"", StringComparison.Ordinal), "the eviction to be healed",
            TimeSpan.FromSeconds(2));
    }

    /// <summary>
    /// The diagnostic ports (dotnet-counters' sockets, /tmp/dotnet-diagnostic-PID-*) a process in the container has
    /// opened: the exporting guardian has one, the plain guardian none (built without EventSource).
    /// </summary>
    private async Task<int> DiagnosticSocketsAsync(string pid)
    {
        var listing = await Podman.ExecAsync(_container, "ls -1 /tmp");
        return listing.Split('\n').Count(name => name.StartsWith($"dotnet-diagnostic-{pid}-", StringComparison.Ordinal));
    }

    /// <summary>
    /// What a process in the container runs: its argv[0], which the supervisor sets to the binary's path (/proc/PID/exe would need CAP_SYS_PTRACE for another user's process, which podman exec lacks).
    /// </summary>
    private async Task<string> ExecutableOfAsync(string pid)
    {
        var (exitCode, stdout, stderr) = await Podman.TryAsync("exec", _container, "cat", "/proc/" + pid + "/cmdline");
        Assert.True(exitCode == 0, $"cat /proc/{pid}/cmdline in the container: {stderr}");
        return stdout.Split('\0')[0];
    }
}
