using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Cli;

/// <summary><c>molecule-guardian-supervise</c> as a process around a stand-in runtime, with the real guardian.</summary>
public sealed class SuperviseProcessTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    private readonly SuperviseSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    /// <summary>
    /// The heal lands before the runtime starts; the guardian then watches beside it; SIGTERM reaches both and the
    /// supervisor exits with the runtime's status. stdout holds only whole JSON events and the runtime's own lines:
    /// the heal's plain answer (<c>healed ...</c>) is not among them.
    /// </summary>
    [Fact]
    public async Task Supervise_Sigterm_HealedBeforeTheRuntimeBothStoppedExitsWithTheRuntimeStatus()
    {
        SettingsFiles.WriteInPlace(_sandbox.SettingsPath, SettingsFiles.WithoutProtected());
        // Debug: the guardian's startup heal (a no-op after the supervisor's heal) logs AlreadyHealthy, the last
        // thing before its start completes; a SIGTERM before that aborts the start rather than stopping it.
        var supervisor = _sandbox.Start(["--Logging:MinimumLevel=Debug"]);
        await _sandbox.WaitForOutputAsync("runtime-start ");
        await _sandbox.WaitForEventAsync("AlreadyHealthy");

        supervisor.Signal(Posix.SigTerm);

        Assert.Equal(SuperviseSandbox.RuntimeTermStatus, await supervisor.WaitForExitAsync(ExitTimeout));
        var stdout = supervisor.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("runtime-start entry=present", stdout);
        Assert.Contains("runtime-stop", stdout);
        Assert.All(stdout.Where(l => !l.StartsWith("runtime-", StringComparison.Ordinal)), l => Assert.True(JsonLines.IsWholeJson(l), l));
        Assert.All(supervisor.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.True(JsonLines.IsWholeJson(l), l));
        Assert.DoesNotContain("healed ", supervisor.Output, StringComparison.Ordinal);
        foreach (var name in new[] { "GuardianStarted", "RuntimeStarted", "SignalForwarded", "Stopping", "RuntimeExited" })
        {
            Assert.True(_sandbox.Events(name).Count == 1, $"{name}\n{_sandbox.Describe()}");
        }

        Assert.Equal(23, _sandbox.Events("RuntimeExited")[0].GetProperty("ExitCode").GetInt32());
    }

    [Fact]
    public async Task Supervise_GuardianKilled_StartedAgain()
    {
        var supervisor = _sandbox.Start(["--Logging:MinimumLevel=Debug"]);
        await _sandbox.WaitForEventAsync("GuardianStarted");
        await _sandbox.WaitForEventAsync("AlreadyHealthy");
        var first = _sandbox.Events("GuardianStarted")[0].GetProperty("Pid").GetInt32();

        Posix.Kill(first, Posix.SigKill);

        await _sandbox.WaitForEventAsync("GuardianStarted", 2);
        var exited = Assert.Single(_sandbox.Events("GuardianExited"));
        Assert.Equal(137, exited.GetProperty("ExitCode").GetInt32());
        Assert.NotEqual(first, _sandbox.Events("GuardianStarted")[1].GetProperty("Pid").GetInt32());
        await _sandbox.WaitForEventAsync("AlreadyHealthy", 2);
        supervisor.Signal(Posix.SigTerm);
        Assert.Equal(SuperviseSandbox.RuntimeTermStatus, await supervisor.WaitForExitAsync(ExitTimeout));
    }

    /// <summary>A typo in the guardian's settings: heal and run exit 78; no restart; the runtime starts and runs on.</summary>
    [Fact]
    public async Task Supervise_InvalidGuardianSetting_GuardianNotRestartedRuntimeRunsOn()
    {
        var supervisor = _sandbox.Start(["--Guardian:SettleDela=1s"]);
        await _sandbox.WaitForEventAsync("GuardianGaveUp");

        // The restart delay is 100 ms here: a restart would have come long before the runtime is stopped below.
        await _sandbox.WaitForOutputAsync("runtime-start entry=missing");
        Assert.Equal(78, Assert.Single(_sandbox.Events("StartupHealFailed")).GetProperty("ExitCode").GetInt32());
        supervisor.Signal(Posix.SigTerm);

        Assert.Equal(SuperviseSandbox.RuntimeTermStatus, await supervisor.WaitForExitAsync(ExitTimeout));
        Assert.Single(_sandbox.Events("GuardianStarted"));
        Assert.Empty(_sandbox.Events("GuardianExited"));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("3", 3)]
    [InlineData("kill", 137)]
    public async Task Supervise_RuntimeEndsOnItsOwn_GuardianStoppedExitsWithTheRuntimeStatus(string runtimeExit, int expected)
    {
        var supervisor = _sandbox.Start([], ("RUNTIME_EXIT", runtimeExit));

        Assert.Equal(expected, await supervisor.WaitForExitAsync(ExitTimeout));
        Assert.Equal(expected, Assert.Single(_sandbox.Events("RuntimeExited")).GetProperty("ExitCode").GetInt32());
    }

    /// <summary>SIGTERM while the heal runs: it reaches the heal, the runtime never starts, the status is 128+15.</summary>
    [Fact]
    public async Task Supervise_SigtermDuringTheHeal_RuntimeNeverStartsExits143()
    {
        var supervisor = _sandbox.Start([$"--Supervisor:GuardianPath={_sandbox.SlowHealGuardianPath}"]);
        await Eventually.TrueAsync(() => File.Exists(_sandbox.Marks), "the heal to start", context: _sandbox.Describe);

        supervisor.Signal(Posix.SigTerm);

        Assert.Equal(143, await supervisor.WaitForExitAsync(ExitTimeout));
        Assert.Single(_sandbox.Events("StoppedBeforeRuntime"));
        Assert.DoesNotContain("runtime-start", supervisor.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "no runtime command")]
    [InlineData(new[] { "/bin/true" }, "unrecognized argument '/bin/true' (the runtime command follows '--')")]
    [InlineData(new[] { "--bogus", "--", "/bin/true" }, "unrecognized argument '--bogus'")]
    [InlineData(new[] { "@/etc/hostname", "--", "/bin/true" }, "unrecognized argument '@/etc/hostname'")]
    public async Task Supervise_NoRuntimeOrAnUnknownArgument_UsageError(string[] args, string message)
    {
        var (exitCode, _, stderr) = await ProcessRunner.RunAsync(ProcessRunner.SupervisorBinary, args);

        Assert.Equal(2, exitCode);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Supervise_Help_PrintsUsageAndExitsZero()
    {
        using var output = new StringWriter();

        var exitCode = await MoleculeGuardian.Supervision.SuperviseCommand.RunAsync(["--help"], output, output);

        Assert.Equal(0, exitCode);
        Assert.Contains("Usage: molecule-guardian-supervise [--Supervisor:Key=value...] [--Guardian:Key=value...] -- RUNTIME [ARGS...]", output.ToString(), StringComparison.Ordinal);
    }

    /// <summary>After '--' everything is the runtime's, as given: options, '@' tokens, a second '--', overrides.</summary>
    [Fact]
    public async Task Supervise_ArgumentsAfterTheDoubleDash_ReachTheRuntimeUntouched()
    {
        string[] runtime = ["--help", "-h", "@/etc/hostname", "--", "--Guardian:SettingsPath=/x", "--version", "a b"];

        var (exitCode, stdout, _) = await ProcessRunner.RunAsync(ProcessRunner.SupervisorBinary,
            ["--Supervisor:RunAs=", $"--Guardian:SettingsPath={_sandbox.SettingsPath}", "--", "printf", "[%s]", .. runtime]);

        Assert.Equal(0, exitCode);
        Assert.Contains(string.Concat(runtime.Select(a => $"[{a}]")), stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Supervise_RuntimeCannotStart_Exits127()
    {
        var (exitCode, stdout, _) = await ProcessRunner.RunAsync(ProcessRunner.SupervisorBinary,
            ["--Supervisor:RunAs=", $"--Guardian:SettingsPath={_sandbox.SettingsPath}", "--", "/nonexistent/runtime"]);

        Assert.Equal(127, exitCode);
        Assert.Contains("\"Name\":\"StartFailed\"", stdout, StringComparison.Ordinal);
    }
}
