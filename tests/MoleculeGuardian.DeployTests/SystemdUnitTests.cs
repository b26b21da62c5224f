using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.Text.RegularExpressions;
using MoleculeGuardian.Tests.Support;
using Xunit.Abstractions;

namespace MoleculeGuardian.DeployTests;

/// <summary>
/// deploy/systemd/molecule-guardian.service under real systemd (252, Debian 12) as PID 1 of a container: the unit and
/// its default file installed as shipped (deploy/README.md's steps), the binary published as the README says, user
/// agent (uid 1000) owning /configs/.claude. Each test boots its own container.
/// </summary>
[Collection(DeployTestGroup.Name)]
public sealed class SystemdUnitTests(DeployEnvironment environment, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Unit = "molecule-guardian";
    private const string Settings = "/configs/.claude/settings.json";
    private const string Evicted = """{"mcpServers": {"image-gen": {"command": "npx"}}, "hooks": {}}""";

    /// <summary>The issue's bound: a start that waits for a watchdog or a timeout cannot make it.</summary>
    private static readonly TimeSpan ActiveWithin = TimeSpan.FromSeconds(10);

    private readonly string _container = "mg-systemd-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Podman.TryAsync("rm", "-f", "-t", "0", _container);

    [Fact]
    public async Task EnableNow_ActiveRunningWithin10s_FileHealedAndJournalLinesWholeJson()
    {
        await BootAsync();

        var elapsed = await StartAsync();

        output.WriteLine($"active (running) {elapsed.TotalMilliseconds:0} ms after `systemctl start`");
        Assert.Contains("\"molecule-platform\"", await ReadSettingsAsync(), StringComparison.Ordinal);
        Assert.Contains("image-gen", await ReadSettingsAsync(), StringComparison.Ordinal);
        Assert.Equal("1000:1000 644", (await Podman.ExecAsync(_container, $"stat -c '%u:%g %a' {Settings}")).Trim());
        var journal = await JournalAsync();
        var events = journal.Where(line => line.StartsWith('{')).ToList();
        Assert.All(events, line => Assert.True(JsonLines.IsWholeJson(line), line));
        Assert.Contains(events, line => line.Contains("\"Name\":\"Started\"", StringComparison.Ordinal));
        Assert.Contains(events, line => line.Contains("\"Name\":\"Healed\"", StringComparison.Ordinal) && line.Contains("\"Startup\"", StringComparison.Ordinal));
        output.WriteLine($"journal: {events.Count} JSON events, all parse");
    }

    /// <summary>
    /// deploy/README.md's "Exporting metrics (systemd)": a drop-in that runs molecule-guardian-otel instead and allows IP
    /// sockets, the endpoint in the default file. Nothing listens there; export is on all the same, and healing works.
    /// </summary>
    [Fact]
    public async Task MetricsExportDropIn_RunsTheExportingGuardianAndHeals()
    {
        await BootAsync();
        await Podman.ExecAsync(_container, "mkdir -p /etc/systemd/system/molecule-guardian.service.d && printf "
            + "'[Service]\\nExecStart=\\nExecStart=/opt/molecule-guardian/molecule-guardian-otel run\\nRestrictAddressFamilies=AF_INET AF_INET6\\n' "
            + "> /etc/systemd/system/molecule-guardian.service.d/metrics-export.conf "
            + "&& printf 'OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318\\nOTEL_METRIC_EXPORT_INTERVAL=500\\n' >> /etc/default/molecule-guardian "
            + "&& systemctl daemon-reload");

        await StartAsync();

        var mainPid = await PropertyAsync("MainPID");
        Assert.StartsWith("/opt/molecule-guardian/molecule-guardian-otel", await Podman.ExecAsync(_container, $"tr '\\0' ' ' </proc/{mainPid}/cmdline"), StringComparison.Ordinal);
        await Podman.ExecAsync(_container, $"printf '%s\\n' '{Evicted}' > {Settings}", user: "agent");
        await WaitAsync(async () => (await ReadSettingsAsync()).Contains("\"molecule-platform\"", StringComparison.Ordinal), "the eviction to be healed");
        var journal = await JournalAsync();
        Assert.Contains(journal, line => line.Contains("\"Name\":\"MetricsExportEnabled\"", StringComparison.Ordinal));
        Assert.DoesNotContain(journal, line => line.Contains("Address family not supported", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Running_RewriteEvictsTheEntry_Healed()
    {
        await BootAsync();
        await StartAsync();

        await Podman.ExecAsync(_container, $"printf '%s\\n' '{Evicted}' > {Settings}", user: "agent");
        var watch = Stopwatch.StartNew();

        await WaitAsync(async () => (await ReadSettingsAsync()).Contains("\"molecule-platform\"", StringComparison.Ordinal), "the eviction to be healed");
        output.WriteLine($"eviction healed, seen {watch.ElapsedMilliseconds} ms after the rewrite");
        Assert.Contains("hooks", await ReadSettingsAsync(), StringComparison.Ordinal);
        Assert.Contains(await JournalAsync(), line => line.Contains("\"Trigger\":\"Watch\"", StringComparison.Ordinal));
    }

    /// <summary>
    /// WATCHDOG=1 must keep coming: a guardian that is silent for WatchdogSec is killed and restarted. The service is
    /// watched for 2.5 × WatchdogSec (as shipped, 30 s): same main PID, no restart, and the manager saw pings.
    /// </summary>
    [Fact]
    public async Task Running_For2AndAHalfWatchdogIntervals_StaysActiveWithoutRestart()
    {
        await BootAsync();
        await StartAsync();
        var watchdog = TimeSpanProperty(await PropertyAsync("WatchdogUSec"));
        Assert.True(watchdog > TimeSpan.Zero, "the unit sets no watchdog");
        var before = await PropertiesAsync("MainPID", "WatchdogTimestampMonotonic");

        var hold = watchdog * 2.5;
        var until = DateTime.UtcNow + hold;
        while (DateTime.UtcNow < until)
        {
            var now = await PropertiesAsync("ActiveState", "SubState", "MainPID", "NRestarts");
            Assert.True(now["ActiveState"] == "active" && now["SubState"] == "running" && now["MainPID"] == before["MainPID"] && now["NRestarts"] == "0",
                $"after {hold - (until - DateTime.UtcNow):g}: {Describe(now)}\n{string.Join('\n', await JournalAsync())}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var after = await PropertyAsync("WatchdogTimestampMonotonic");
        Assert.NotEqual(before["WatchdogTimestampMonotonic"], after);
        output.WriteLine($"active, main PID {before["MainPID"]}, no restart for {hold.TotalSeconds:0} s (WatchdogSec {watchdog.TotalSeconds:0} s); last ping at {after} µs");
    }

    [Fact]
    public async Task SystemctlStop_EndsCleanlyWithinTimeoutStopSec()
    {
        await BootAsync();
        await StartAsync();

        var watch = Stopwatch.StartNew();
        await Podman.ExecAsync(_container, $"systemctl stop {Unit}");
        watch.Stop();

        var state = await PropertiesAsync("ActiveState", "Result", "ExecMainStatus");
        Assert.True(state["ActiveState"] == "inactive" && state["Result"] == "success" && state["ExecMainStatus"] == "0", Describe(state));
        var timeout = TimeSpanProperty(await PropertyAsync("TimeoutStopUSec"));
        Assert.True(watch.Elapsed < timeout, $"stop took {watch.Elapsed.TotalSeconds:0.0} s, TimeoutStopSec is {timeout.TotalSeconds} s");
        Assert.Contains(await JournalAsync(), line => line.Contains("\"Name\":\"Stopping\"", StringComparison.Ordinal));
        output.WriteLine($"systemctl stop took {watch.ElapsedMilliseconds} ms: {Describe(state)}");
    }

    /// <summary>
    /// A setting that names nothing (here a typo in the default file) is exit 78: the unit must end failed and stay
    /// failed, not be restarted every RestartSec.
    /// </summary>
    [Fact]
    public async Task InvalidSetting_EndsFailedWith78_NotRestarted()
    {
        await BootAsync();
        await Podman.ExecAsync(_container, "echo 'Guardian__Debounc=00:00:01' >> /etc/default/molecule-guardian");

        await Podman.ExecAsync(_container, $"systemctl start --no-block {Unit}");

        await WaitAsync(async () => await PropertyAsync("ActiveState") == "failed", "the unit to fail");
        var restartSec = TimeSpanProperty(await PropertyAsync("RestartUSec"));
        var until = DateTime.UtcNow + restartSec * 2;
        while (DateTime.UtcNow < until)
        {
            var state = await PropertiesAsync("ActiveState", "Result", "ExecMainStatus", "NRestarts");
            Assert.True(state["ActiveState"] == "failed" && state["Result"] == "exit-code" && state["ExecMainStatus"] == "78" && state["NRestarts"] == "0", Describe(state));
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Assert.Contains(await JournalAsync(), line => line.Contains("Guardian:Debounc", StringComparison.Ordinal));
        output.WriteLine($"failed with status 78, no restart in {(restartSec * 2).TotalSeconds:0} s (RestartSec {restartSec.TotalSeconds:0} s)");
    }

    /// <summary>
    /// A container with systemd as PID 1 and the guardian installed as deploy/README.md says (binary, appsettings.json,
    /// unit, default file), booted; /configs/.claude belongs to agent and holds a settings file without the entry.
    /// </summary>
    private async Task BootAsync()
    {
        var published = await environment.PublishedAsync();
        // --privileged: systemd sets up the unit's sandbox (mount namespaces, seccomp) itself, which needs the
        // capabilities a VM's systemd has.
        await Podman.RunAsync("create", "--name", _container, "--privileged", "--systemd=always", DeployEnvironment.SystemdImage);
        var layout = Path.Combine(environment.WorkDirectory, _container + ".tar");
        await using (var tar = File.Create(layout))
        await using (var writer = new TarWriter(tar))
        {
            const UnixFileMode File644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            const UnixFileMode Exec755 = File644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            await AddAsync(writer, Path.Combine(published, "molecule-guardian"), "opt/molecule-guardian/molecule-guardian", Exec755);
            await AddAsync(writer, Path.Combine(published, "molecule-guardian-otel"), "opt/molecule-guardian/molecule-guardian-otel", Exec755);
            await AddAsync(writer, Path.Combine(published, "appsettings.json"), "opt/molecule-guardian/appsettings.json", File644);
            await AddAsync(writer, RepoPaths.Of("deploy", "systemd", "molecule-guardian.service"), "etc/systemd/system/molecule-guardian.service", File644);
            await AddAsync(writer, RepoPaths.Of("deploy", "systemd", "molecule-guardian.default"), "etc/default/molecule-guardian", File644);
        }

        // Not /tmp: systemd mounts a fresh tmpfs there at boot.
        await Podman.RunAsync("cp", layout, $"{_container}:/root/layout.tar");
        await Podman.RunAsync("start", _container);
        await WaitAsync(async () => (await Podman.TryAsync("exec", _container, "systemctl", "is-system-running")).Stdout.Trim() is "running" or "degraded",
            "systemd to finish booting", TimeSpan.FromSeconds(60));
        await Podman.ExecAsync(_container, "tar -C / -xf /root/layout.tar && rm /root/layout.tar && systemctl daemon-reload"
            + " && install -d -o agent -g agent /configs /configs/.claude");
        await Podman.ExecAsync(_container, $"printf '%s\\n' '{Evicted}' > {Settings}", user: "agent");
    }

    /// <summary>`systemctl enable` and a start that does not wait; returns how long until active (running).</summary>
    private async Task<TimeSpan> StartAsync()
    {
        await Podman.ExecAsync(_container, $"systemctl enable {Unit} 2>/dev/null");
        var watch = Stopwatch.StartNew();
        await Podman.ExecAsync(_container, $"systemctl start --no-block {Unit}");
        await WaitAsync(async () =>
        {
            var state = await PropertiesAsync("ActiveState", "SubState");
            return state["ActiveState"] == "active" && state["SubState"] == "running";
        }, "the unit to be active (running)", ActiveWithin);
        return watch.Elapsed;
    }

    private static async Task AddAsync(TarWriter writer, string source, string name, UnixFileMode mode)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = mode, DataStream = File.OpenRead(source) };
        await using (entry.DataStream)
        {
            await writer.WriteEntryAsync(entry);
        }
    }

    private Task<string> ReadSettingsAsync() => Podman.ExecAsync(_container, $"cat {Settings}");

    private async Task<List<string>> JournalAsync() =>
        [.. (await Podman.ExecAsync(_container, $"journalctl -u {Unit} -o cat --no-pager")).Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private async Task<string> PropertyAsync(string name) => (await PropertiesAsync(name))[name];

    private async Task<Dictionary<string, string>> PropertiesAsync(params string[] names)
    {
        var text = await Podman.ExecAsync(_container, $"systemctl show {Unit} " + string.Join(' ', names.Select(n => "-p " + n)));
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "");
    }

    private Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(condition, what, timeout ?? TimeSpan.FromSeconds(15),
            async () => (await Podman.TryAsync("exec", _container, "systemctl", "status", "--no-pager", "-l", Unit)).Stdout);

    /// <summary>systemctl show prints *USec properties as time spans: "30s", "1min 30s", "100ms".</summary>
    private static TimeSpan TimeSpanProperty(string value)
    {
        var total = TimeSpan.Zero;
        foreach (Match part in Regex.Matches(value, @"(\d+)(us|ms|s|min|h)\b"))
        {
            var number = long.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch
            {
                "us" => TimeSpan.FromMicroseconds(number),
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "min" => TimeSpan.FromMinutes(number),
                _ => TimeSpan.FromHours(number),
            };
        }

        Assert.True(total > TimeSpan.Zero, $"not a time span: '{value}'");
        return total;
    }

    private static string Describe(Dictionary<string, string> properties) => string.Join(' ', properties.Select(p => $"{p.Key}={p.Value}"));
}
