using System.Diagnostics;
using System.Globalization;

namespace MoleculeGuardian.DeployTests;

/// <summary>The sidecar's process tree under signals and orphans: tini as PID 1, the supervisor, its children.</summary>
public sealed partial class SidecarTests
{
    /// <summary>
    /// A heal that does not finish (a stand-in guardian binary, mounted, whose heal waits for SIGTERM): `podman stop`
    /// reaches it through tini and the supervisor, the runtime is never started, and the container's status is 143.
    /// </summary>
    [Fact]
    public async Task PodmanStop_BeforeTheHealFinishes_RuntimeNeverStartsStatus143()
    {
        var slow = Path.Combine(environment.WorkDirectory, _container, "slow");
        Directory.CreateDirectory(slow);
        var guardian = Path.Combine(slow, "guardian");
        await File.WriteAllTextAsync(guardian, """
            #!/bin/sh
            [ "$1" = heal ] || exit 2
            sleep 600 >/dev/null 2>&1 &
            sleeper=$!
            trap 'kill "$sleeper"; exit 0' TERM
            echo slow-heal-start >&2
            wait "$sleeper"

            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(guardian, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await StartContainerAsync("-v", $"{slow}:/slow:ro", "-e", "Supervisor__GuardianPath=/slow/guardian");
        await WaitForLogAsync(line => line == "slow-heal-start", "the heal to start");

        var status = await StopAsync();

        Assert.Equal(143, status.ExitCode);
        var logs = await LogLinesAsync();
        Assert.Contains(logs, line => line.Contains("\"Name\":\"StoppedBeforeRuntime\"", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, line => line.StartsWith("runtime-start", StringComparison.Ordinal));
        output.WriteLine($"stopped during the heal in {status.Elapsed.TotalMilliseconds:0} ms, status {status.ExitCode}");
    }

    /// <summary>
    /// SIGTERM while the runtime command is still in its root phase (the concierge entrypoint before it drops to
    /// agent): the supervisor, root, forwards it, the entrypoint's trap runs, and its status is the container's.
    /// </summary>
    [Fact]
    public async Task PodmanStop_RuntimeStillRoot_SignalReachesItAndItsStatusIsTheContainers()
    {
        await StartContainerAsync("-e", "STANDIN_HOLD_ROOT=1");
        await WaitForLogAsync(line => line == "entrypoint-root-phase uid=0", "the entrypoint's root phase");

        var status = await StopAsync();

        Assert.Equal(24, status.ExitCode);
        Assert.Contains("entrypoint-root-term", await LogLinesAsync());
        output.WriteLine($"root-phase runtime stopped in {status.Elapsed.TotalMilliseconds:0} ms with its own status {status.ExitCode}");
    }

    /// <summary>The runtime leaves a grandchild that exits 0.2 s later: tini, PID 1, reaps it.</summary>
    [Fact]
    public async Task OrphanedGrandchild_Exits_Reaped()
    {
        await StartContainerAsync();
        var orphan = await OrphanPidAsync();
        Assert.StartsWith("/opt/molecule-guardian/tini", await Podman.ExecAsync(_container, "tr '\\0' ' ' </proc/1/cmdline"), StringComparison.Ordinal);

        await WaitAsync(async () => await ProcessStateAsync(orphan) is null, $"orphan {orphan} to be reaped", TimeSpan.FromSeconds(5));
        output.WriteLine($"orphan {orphan} reaped");
    }

    /// <summary>
    /// The alternative to tini, measured: the supervisor itself as PID 1 reaps the orphan too. .NET's System.Native
    /// reaps every child, not only its own, when it is PID 1 (pal_signal.c: reapAll when getpid() == 1), with
    /// waitpid(-1) after its sweep of the children it started. That last call can take the exit status of the
    /// supervisor's own child, the runtime, when it ends in between, and the container's status would be lost; so the
    /// image keeps tini as PID 1 and the supervisor off it. Should .NET stop reaping as PID 1, this fails and says so.
    /// </summary>
    [Fact]
    public async Task OrphanedGrandchild_SupervisorAsPid1WithoutTini_ReapedByDotNetToo()
    {
        await StartContainerAsync(["--entrypoint", "[\"/opt/molecule-guardian/molecule-guardian-supervise\",\"--\"]"], []);
        var orphan = await OrphanPidAsync();

        await WaitAsync(async () => await ProcessStateAsync(orphan) is null, $"orphan {orphan} to be reaped", TimeSpan.FromSeconds(5));

        Assert.Contains("molecule-guardian-supervise", await Podman.ExecAsync(_container, "tr '\\0' ' ' </proc/1/cmdline"), StringComparison.Ordinal);
        output.WriteLine($"without tini, orphan {orphan} reaped by the supervisor as PID 1");
    }

    private async Task<int> OrphanPidAsync()
    {
        var start = await WaitForLogAsync(line => line.StartsWith("runtime-start ", StringComparison.Ordinal), "the runtime to start");
        return int.Parse(start[(start.IndexOf("orphan=", StringComparison.Ordinal) + "orphan=".Length)..], CultureInfo.InvariantCulture);
    }

    /// <summary>The process's state letter in the container (R, S, Z, ...), or null when there is no such process.</summary>
    private async Task<string?> ProcessStateAsync(int pid)
    {
        var (exitCode, stat, _) = await Podman.TryAsync("exec", _container, "cat", $"/proc/{pid}/stat");
        return exitCode == 0 ? stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0] : null;
    }

    /// <summary>`podman stop -t 10`: how long it took and the container's exit status.</summary>
    private async Task<(int ExitCode, TimeSpan Elapsed)> StopAsync()
    {
        var watch = Stopwatch.StartNew();
        await Podman.RunAsync(TimeSpan.FromSeconds(30), "stop", "-t", "10", _container);
        watch.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"podman stop took {watch.Elapsed.TotalSeconds:0.0} s");
        var exitCode = (await Podman.RunAsync("inspect", "--format", "{{.State.ExitCode}}", _container)).Trim();
        return (int.Parse(exitCode, CultureInfo.InvariantCulture), watch.Elapsed);
    }
}
