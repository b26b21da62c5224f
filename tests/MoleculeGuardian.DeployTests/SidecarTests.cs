using System.Diagnostics;
using System.Globalization;
using MoleculeGuardian.Tests.Support;
using Xunit.Abstractions;

namespace MoleculeGuardian.DeployTests;

/// <summary>
/// The image built from deploy/container/Dockerfile on a stand-in concierge (deploy/test/stand-ins/concierge/), run
/// with podman the way the platform runs a concierge: /configs a root-owned mount; tini as PID 1 starts the supervisor,
/// which heals, then starts the guardian (as agent) and the runtime command, the platform-agent entrypoint: as root
/// it fills /configs from its template, then execs the concierge entrypoint, which chowns /configs and becomes the
/// runtime as agent; the runtime prints long lines all the time (20 a second; in the log test as fast as it can).
/// Each test runs its own container.
/// </summary>
[Collection(DeployTestGroup.Name)]
public sealed partial class SidecarTests(DeployEnvironment environment, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Settings = "/configs/.claude/settings.json";
    private const int RuntimeTermStatus = 23;

    private readonly string _container = "mg-sidecar-" + Guid.NewGuid().ToString("N")[..8];
    private string _configs = "";

    private string HostSettings => Path.Combine(_configs, ".claude", "settings.json");

    public async Task InitializeAsync()
    {
        await environment.SidecarImageAsync();

        // The provisioner's mount: root-owned, mode 755, with the .claude directory the snapshot restore brings and
        // no settings file yet (the guardian creates it).
        _configs = Path.Combine(environment.WorkDirectory, _container, "configs");
        Directory.CreateDirectory(Path.Combine(_configs, ".claude"));
        const UnixFileMode Dir755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(_configs, Dir755);
        File.SetUnixFileMode(Path.Combine(_configs, ".claude"), Dir755);
    }

    public async Task DisposeAsync() => await Podman.TryAsync("rm", "-f", "-t", "0", _container);

    /// <summary>
    /// First boot, on a root-owned /configs (the provisioner's mount) and on one agent already owns (a persisted
    /// volume): the supervisor's heal (root) creates the file before the runtime command runs; the platform-agent
    /// entrypoint fills the template, the concierge entrypoint's chown makes everything agent's, so the runtime
    /// (uid 1000) finds the entry and its prompt, owner 1000:1000, mode 644, and can rewrite it. The long-running
    /// guardian runs as uid 1000.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    public async Task FirstBoot_ConfigsOwnedBy_HealedBeforeTheRuntimeWhichOwnsTheFile_GuardianIsAgent(int configsOwner)
    {
        Chown(_configs, configsOwner);
        Chown(Path.Combine(_configs, ".claude"), configsOwner);
        await StartContainerAsync();

        var start = await WaitForLogAsync(line => line.StartsWith("runtime-start ", StringComparison.Ordinal), "the runtime to start");

        Assert.StartsWith("runtime-start uid=1000 entry=present owner=1000:1000 mode=644 rewrite=ok prompt=present orphan=", start, StringComparison.Ordinal);
        var logs = await LogLinesAsync();
        Assert.DoesNotContain(logs, line => line.Contains("\"Name\":\"StartupHealFailed\"", StringComparison.Ordinal));
        Assert.Contains(logs, line => line.Contains("\"Name\":\"RuntimeStarted\"", StringComparison.Ordinal)
            && line.Contains("/platform-agent-entrypoint.sh", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, line => line.StartsWith("healed ", StringComparison.Ordinal));
        var guardians = await GuardianProcessesAsync();
        Assert.True(guardians.Count == 1 && guardians[0].Uid == "1000", $"guardian processes (pid, uid): {string.Join(", ", guardians)}");
        Assert.Equal((1000, 1000), OwnerOf(HostSettings));
        Assert.Equal((1000, 1000), OwnerOf(Path.Combine(_configs, "prompts", "system.md")));
        Assert.Equal("/opt/molecule-guardian/molecule-guardian", await ExecutableOfAsync(guardians[0].Pid));
        Assert.Equal(0, await DiagnosticSocketsAsync(guardians[0].Pid));
        output.WriteLine($"{start}; guardian pid {guardians[0].Pid} runs as uid {guardians[0].Uid}");
    }

    /// <summary>The concierge's own files in /configs are never replaced by the template.</summary>
    [Fact]
    public async Task FirstBoot_ConfigsHoldsAConfig_TemplateFillsOnlyWhatIsAbsent()
    {
        await File.WriteAllTextAsync(Path.Combine(_configs, "config.yaml"), "model: restored\n");
        await StartContainerAsync();

        await WaitForLogAsync(line => line.StartsWith("runtime-start ", StringComparison.Ordinal), "the runtime to start");

        Assert.Equal("model: restored\n", await File.ReadAllTextAsync(Path.Combine(_configs, "config.yaml")));
        Assert.Equal("servers: []\n", await File.ReadAllTextAsync(Path.Combine(_configs, "mcp_servers.yaml")));
    }

    [Fact]
    public async Task Running_AgentRewriteEvictsTheEntry_Healed()
    {
        await StartContainerAsync();
        await WaitForLogAsync(line => line.StartsWith("runtime-start ", StringComparison.Ordinal), "the runtime to start");
        await WaitForLogAsync(line => line.Contains("\"Name\":\"Started\"", StringComparison.Ordinal), "the guardian to start watching");

        await WriteAsAgentAsync("""{"mcpServers": {"image-gen": {"command": "npx"}}}""");
        var watch = Stopwatch.StartNew();

        await WaitAsync(() => File.ReadAllText(HostSettings).Contains("\"molecule-platform\"", StringComparison.Ordinal), "the eviction to be healed",
            TimeSpan.FromSeconds(2));
        output.WriteLine($"eviction healed, seen on the host {watch.ElapsedMilliseconds} ms after the rewrite");
        Assert.Contains("image-gen", File.ReadAllText(HostSettings), StringComparison.Ordinal);
        Assert.Equal((1000, 1000), OwnerOf(HostSettings));
    }

    [Fact]
    public async Task PodmanStop_EndsWithin10sWithTheRuntimeStatus()
    {
        await StartContainerAsync();
        await WaitForLogAsync(line => line.Contains("\"Name\":\"Started\"", StringComparison.Ordinal), "the guardian to start watching");
        // And its startup heal done (the entry seen, or put back): the stop below is a stop of a running guardian, not one
        // that lands in its start (seen once under load: no Stopping line then).
        await WaitAsync(async () => await LogLinesAsync() is var logs && logs.FindIndex(l => l.Contains("\"Name\":\"Started\"", StringComparison.Ordinal)) is var started
            && logs.Skip(started + 1).Any(l => l.Contains("\"Name\":\"EntryRemembered\"", StringComparison.Ordinal) || l.Contains("\"Trigger\":\"Startup\"", StringComparison.Ordinal)),
            "the guardian's startup heal", TimeSpan.FromSeconds(10));

        var watch = Stopwatch.StartNew();
        await Podman.RunAsync(TimeSpan.FromSeconds(30), "stop", "-t", "10", _container);
        watch.Stop();

        var exitCode = (await Podman.RunAsync("inspect", "--format", "{{.State.ExitCode}}", _container)).Trim();
        Assert.Equal(RuntimeTermStatus.ToString(CultureInfo.InvariantCulture), exitCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"podman stop took {watch.Elapsed.TotalSeconds:0.0} s");
        var logs = await LogLinesAsync();
        Assert.Contains("runtime-stop", logs);
        Assert.Contains(logs, line => line.Contains("\"Name\":\"Stopping\"", StringComparison.Ordinal));
        Assert.Contains(logs, line => line.Contains("\"Name\":\"SignalForwarded\"", StringComparison.Ordinal));
        Assert.Contains(logs, line => line.Contains("\"Name\":\"RuntimeExited\"", StringComparison.Ordinal) && line.Contains("\"ExitCode\":23", StringComparison.Ordinal));
        output.WriteLine($"podman stop took {watch.ElapsedMilliseconds} ms; container exit status {exitCode} (the runtime's)");
    }

    [Fact]
    public async Task GuardianKilled_IsRestarted()
    {
        await StartContainerAsync();
        await WaitForLogAsync(line => line.Contains("\"Name\":\"Started\"", StringComparison.Ordinal), "the guardian to start watching");
        // podman top reads the container's /proc from outside; on a busy machine its first look can come back empty.
        await WaitAsync(async () => await GuardianProcessesAsync() is [_], "podman top to list the guardian", TimeSpan.FromSeconds(10));
        var first = Assert.Single(await GuardianProcessesAsync());
        var exited = (await LogLinesAsync()).Where(line => line.Contains("\"Name\":\"GuardianExited\"", StringComparison.Ordinal)).ToList();
        Assert.True(exited.Count == 0, "a guardian exited before the kill:\n" + string.Join('\n', exited) + "\n" + await NonRuntimeLogAsync());

        await Podman.ExecAsync(_container, $"kill -KILL {first.Pid}");

        await WaitAsync(async () => await GuardianProcessesAsync() is [var next] && next.Pid != first.Pid, "a new guardian", TimeSpan.FromSeconds(5));
        var second = Assert.Single(await GuardianProcessesAsync());
        Assert.Equal("1000", second.Uid);
        Assert.Contains(await LogLinesAsync(), line => line.Contains("\"Name\":\"GuardianExited\"", StringComparison.Ordinal)
            && line.Contains("\"ExitCode\":137", StringComparison.Ordinal));
        output.WriteLine($"guardian {first.Pid} killed with SIGKILL, guardian {second.Pid} (uid {second.Uid}) took over");
    }

    /// <summary>
    /// An invalid setting: both the heal and `run` exit 78. The supervisor must not restart `run` (nothing would change)
    /// and must keep the runtime running; the container stays up.
    /// </summary>
    [Fact]
    public async Task GuardianExits78_NotRestarted_RuntimeKeepsRunning()
    {
        await StartContainerAsync("-e", "Guardian__Debounc=00:00:01");
        await WaitForLogAsync(line => line.Contains("\"Name\":\"GuardianGaveUp\"", StringComparison.Ordinal), "the supervisor to give up on the guardian");

        // A restart would come after Supervisor:RestartMinDelay (1 s); look for one for three times as long.
        var restarted = await Eventually.WithinAsync(async () => (await LogLinesAsync()).Any(line => line.Contains("\"Name\":\"GuardianExited\"", StringComparison.Ordinal))
            || (await GuardianProcessesAsync()).Count > 0, TimeSpan.FromSeconds(3));

        Assert.False(restarted, string.Join('\n', (await LogLinesAsync()).Where(IsNotRuntimeLine)));
        Assert.Equal("true", (await Podman.RunAsync("inspect", "--format", "{{.State.Running}}", _container)).Trim());
        var runtimeLines = (await LogLinesAsync()).Count(line => !IsNotRuntimeLine(line));
        await WaitAsync(async () => (await LogLinesAsync()).Count(line => !IsNotRuntimeLine(line)) > runtimeLines, "the runtime to keep printing");
        Assert.Contains(await LogLinesAsync(), line => line.Contains("\"Name\":\"StartupHealFailed\"", StringComparison.Ordinal)
            && line.Contains("\"ExitCode\":78", StringComparison.Ordinal));
        output.WriteLine("guardian exited 78, not restarted; the runtime kept running");
    }

    /// <summary>
    /// The guardian and the runtime share the container's stdout. While the guardian logs a series of heals, the runtime
    /// prints 3,000-byte lines as fast as the pipe takes them: every line of `podman logs` that starts with '{' must
    /// parse, and every runtime line must be whole.
    /// </summary>
    [Fact]
    public async Task Logs_WhileTheRuntimePrintsLongLines_EveryJsonLineParses()
    {
        const int Evictions = 10;
        await StartContainerAsync();
        await WaitForLogAsync(line => line.Contains("\"Name\":\"Started\"", StringComparison.Ordinal), "the guardian to start watching");
        await Podman.ExecAsync(_container, "touch /tmp/standin-flood");
        for (var i = 0; i < Evictions; i++)
        {
            await WriteAsAgentAsync("{\"mcpServers\": {\"n" + i.ToString(CultureInfo.InvariantCulture) + "\": {\"command\": \"x\"}}}");
            await WaitAsync(() => File.ReadAllText(HostSettings).Contains("\"molecule-platform\"", StringComparison.Ordinal), $"heal {i + 1}");
        }

        await Podman.ExecAsync(_container, "rm /tmp/standin-flood");

        // The log is hundreds of megabytes now: read it as a stream, keeping only what is not a whole runtime line, and
        // read it again (bounded) should the last heal's line still be on its way to the log.
        var events = new List<string>();
        var torn = new List<string>();
        var runtimeLines = 0;
        var runtimeLine = "runtime " + new string('0', 2992);
        var complete = await Eventually.WithinAsync(async () =>
        {
            events.Clear();
            torn.Clear();
            runtimeLines = 0;
            await Podman.StreamAsync(line =>
            {
                if (line == runtimeLine)
                {
                    runtimeLines++;
                }
                else if (line.StartsWith('{'))
                {
                    events.Add(line);
                }
                else if (line.StartsWith("runtime ", StringComparison.Ordinal) || line.Contains(runtimeLine[..100], StringComparison.Ordinal))
                {
                    torn.Add(line);
                }
            }, TimeSpan.FromMinutes(2), "logs", _container);
            // `run` logs on stdout (what is read here), one Healed per eviction; the one-shot heal logged on stderr.
            return events.Count(line => line.Contains("\"Name\":\"Healed\"", StringComparison.Ordinal)) >= Evictions;
        }, TimeSpan.FromSeconds(20));
        var bad = events.Where(line => !JsonLines.IsWholeJson(line)).ToList();

        Assert.True(bad.Count == 0 && torn.Count == 0, $"{bad.Count} of {events.Count} JSON lines do not parse, {torn.Count} runtime lines are torn: {bad.Concat(torn).FirstOrDefault()?[..200]}");
        Assert.True(complete, $"fewer than {Evictions} Healed events among {events.Count} JSON lines");
        Assert.True(runtimeLines > 1000, $"the runtime printed only {runtimeLines} lines");
        output.WriteLine($"{events.Count} JSON lines all parse among {runtimeLines} runtime lines of 3,000 bytes");
    }

    private Task StartContainerAsync(params string[] extra) => StartContainerAsync(extra, []);

    /// <summary>Runs the image detached: <paramref name="options"/> for podman run, <paramref name="command"/> after the image.</summary>
    private async Task StartContainerAsync(string[] options, string[] command)
    {
        await Podman.RunAsync(["run", "-d", "--name", _container, "-v", $"{_configs}:/configs",
            "-e", $"STANDIN_RUNTIME_TERM_EXIT={RuntimeTermStatus}", .. options, DeployEnvironment.SidecarImage, .. command]);
    }

    private static void Chown(string path, int id)
    {
        using var chown = Process.Start("chown", [$"{id}:{id}", path]);
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }

    /// <summary>A plain truncate-then-write of settings.json by uid 1000, as the runtime's plugin merges do.</summary>
    private Task<string> WriteAsAgentAsync(string json) => Podman.ExecAsync(_container, $"printf '%s\\n' '{json}' > {Settings}", user: "agent");

    /// <summary>`podman logs` (stdout and stderr), as lines.</summary>
    private async Task<List<string>> LogLinesAsync()
    {
        var (_, stdout, stderr) = await Podman.TryAsync("logs", _container);
        return [.. (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private async Task<string> WaitForLogAsync(Func<string, bool> match, string what)
    {
        string? found = null;
        await WaitAsync(async () => (found = (await LogLinesAsync()).FirstOrDefault(match)) is not null, what);
        return found!;
    }

    /// <summary>
    /// The running `molecule-guardian run` processes: container pid (podman top reads the container's /proc) and uid
    /// (the owner of /proc/PID is the process's effective uid).
    /// </summary>
    private async Task<List<(string Pid, string Uid)>> GuardianProcessesAsync()
    {
        var (exitCode, stdout, _) = await Podman.TryAsync("top", _container, "pid", "args");
        if (exitCode != 0)
        {
            return [];
        }

        var pids = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line => line.Trim().Split(' ', 2))
            .Where(fields => fields.Length == 2 && (fields[1].Contains("molecule-guardian run", StringComparison.Ordinal)
                || fields[1].Contains("molecule-guardian-otel run", StringComparison.Ordinal)))
            .Select(fields => fields[0])
            .ToList();
        var result = new List<(string Pid, string Uid)>();
        foreach (var pid in pids)
        {
            var (statExit, uid, _) = await Podman.TryAsync("exec", _container, "stat", "-c", "%u", "/proc/" + pid);
            if (statExit == 0)
            {
                result.Add((pid, uid.Trim()));
            }
        }

        return result;
    }

    /// <summary>The file's owner as the host sees it through the bind mount (no user namespace: the same ids).</summary>
    private static (int Uid, int Gid) OwnerOf(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u:%g", path]) { RedirectStandardOutput = true })!;
        var fields = stat.StandardOutput.ReadToEnd().Trim().Split(':');
        stat.WaitForExit();
        Assert.True(fields.Length == 2, $"cannot stat {path}");
        return (int.Parse(fields[0], CultureInfo.InvariantCulture), int.Parse(fields[1], CultureInfo.InvariantCulture));
    }

    private static bool IsNotRuntimeLine(string line) => !line.StartsWith("runtime ", StringComparison.Ordinal);

    /// <summary>For failure messages: the log without the runtime's filler lines.</summary>
    private async Task<string> NonRuntimeLogAsync() => string.Join('\n', (await LogLinesAsync()).Where(IsNotRuntimeLine));

    private Task WaitAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitAsync(() => Task.FromResult(condition()), what, timeout);

    private Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(condition, what, timeout ?? TimeSpan.FromSeconds(20), NonRuntimeLogAsync);
}
