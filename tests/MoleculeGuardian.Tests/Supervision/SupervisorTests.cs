using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>The supervisor's loop over fake children and a fake clock: order, restarts, signals, exit status.</summary>
public sealed class SupervisorTests
{
    [Fact]
    public async Task RunAsync_HealStillRunning_StartsNothingElseUntilItExits()
    {
        var harness = new SupervisorHarness();
        await harness.WaitAsync(() => harness.Launcher.Heals.Count == 1, "the startup heal to start");

        await harness.AdvanceAfterTimerAsync(1, TimeSpan.FromSeconds(29));
        Assert.Single(harness.Launcher.Started);

        await harness.PastHealAsync();
        Assert.Equal(["heal", "run", "--flag"], harness.Launcher.Started.Select(c => c.Spec.Arguments[0]));
        Assert.Contains("RuntimeStarted Started the runtime runtime --flag (pid 102)", harness.Log.Text, StringComparison.Ordinal);
        Assert.Contains("GuardianStarted Started the guardian (pid 101) as agent", harness.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_HealFails_StartsTheRuntimeAnywayAndLogsTheAnswer()
    {
        var harness = new SupervisorHarness(l => l.Configure = c => c.OutputText = "failed: the directory of /x does not exist\n");

        await harness.PastHealAsync(status: 1);

        Assert.Contains("StartupHealFailed The startup heal failed with status 1 (failed: the directory of /x does not exist)", harness.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_HealSucceeds_LogsNoFailureAndNotItsAnswer()
    {
        var harness = new SupervisorHarness(l => l.Configure = c => c.OutputText = "healed /x: AddedEntry:molecule-platform\n");

        await harness.PastHealAsync(status: 0);

        Assert.DoesNotContain("StartupHealFailed", harness.Log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("healed /x", harness.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_HealHangsPastItsTimeout_KilledThenTheRuntimeStarts()
    {
        var harness = new SupervisorHarness(l => l.Configure = c => c.Ignored.Add(Signals.SigTerm));
        await harness.WaitAsync(() => harness.Launcher.Heals.Count == 1, "the startup heal to start");

        await harness.AdvanceAfterTimerAsync(1, SupervisorHarness.Options.HealTimeout);

        await harness.WaitAsync(() => harness.Launcher.Runtimes.Count == 1, "the runtime to start");
        Assert.Equal([Signals.SigKill], harness.Launcher.Heals[0].Signals);
        Assert.Contains("StartupHealFailed The startup heal failed with status 137 (killed after 30 s)", harness.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_GuardianKeepsExiting_RestartedAfterCappedExponentialBackOff()
    {
        var harness = new SupervisorHarness();
        await harness.PastHealAsync();

        foreach (var (seconds, starts) in new[] { (1, 2), (2, 3), (4, 4), (4, 5) })
        {
            harness.Launcher.Guardians[^1].Exit(1);
            await harness.AdvanceAfterTimerAsync(starts, TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(starts - 1, harness.Launcher.Guardians.Count);

            harness.Time.Advance(TimeSpan.FromMilliseconds(1));

            await harness.WaitAsync(() => harness.Launcher.Guardians.Count == starts, $"guardian {starts} after {seconds} s");
        }

        Assert.Contains($"restarting it in {4000}", harness.Log.Text, StringComparison.Ordinal);
        Assert.Empty(harness.Launcher.Runtimes[0].Signals);
    }

    [Fact]
    public async Task RunAsync_GuardianRanPastTheResetTime_RestartedAfterTheMinimumAgain()
    {
        var harness = new SupervisorHarness();
        await harness.PastHealAsync();
        harness.Launcher.Guardians[0].Exit(1);
        await harness.AdvanceAfterTimerAsync(2, TimeSpan.FromSeconds(1));
        await harness.WaitAsync(() => harness.Launcher.Guardians.Count == 2, "the second guardian");

        harness.Time.Advance(SupervisorHarness.Options.RestartResetAfter);
        harness.Launcher.Guardians[1].Exit(1);
        await harness.AdvanceAfterTimerAsync(3, TimeSpan.FromSeconds(1));

        await harness.WaitAsync(() => harness.Launcher.Guardians.Count == 3, "a restart after 1 s, not 2 s");
    }

    [Fact]
    public async Task RunAsync_GuardianExits78_NeverRestartedAndTheRuntimeRunsOn()
    {
        var harness = new SupervisorHarness();
        var (guardian, runtime) = await harness.PastHealAsync();

        guardian.Exit(78);
        await harness.WaitAsync(() => harness.Log.Count("GuardianGaveUp") == 1, "the supervisor to give up on the guardian");
        harness.Time.Advance(TimeSpan.FromHours(1));

        Assert.Single(harness.Launcher.Guardians);
        Assert.Empty(runtime.Signals);
        Assert.False(harness.Run.IsCompleted);
        runtime.Exit(0);
        Assert.Equal(0, await harness.ExitStatusAsync());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(137)]
    public async Task RunAsync_RuntimeExitsOnItsOwn_StopsTheGuardianAndReturnsTheRuntimeStatus(int status)
    {
        var harness = new SupervisorHarness();
        var (guardian, runtime) = await harness.PastHealAsync();

        runtime.Exit(status);

        Assert.Equal(status, await harness.ExitStatusAsync());
        Assert.Equal([Signals.SigTerm], guardian.Signals);
        Assert.Contains($"RuntimeExited The runtime exited with status {status}", harness.Log.Text, StringComparison.Ordinal);
        Assert.Single(harness.Launcher.Guardians);
    }

    [Fact]
    public async Task RunAsync_GuardianIgnoresSigterm_KilledAfterTheStopTimeout()
    {
        var harness = new SupervisorHarness(l => l.Configure = c => c.Ignored.Add(Signals.SigTerm));
        var (guardian, runtime) = await harness.PastHealAsync();
        runtime.Exit(5);

        await harness.AdvanceAfterTimerAsync(2, SupervisorHarness.Options.StopTimeout);

        Assert.Equal(5, await harness.ExitStatusAsync());
        Assert.Equal([Signals.SigTerm, Signals.SigKill], guardian.Signals);
        Assert.Contains("ChildKilled The guardian (pid 101) did not exit within 10000 ms", harness.Log.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Signals.SigTerm, 23)]
    [InlineData(Signals.SigInt, 130)]
    public async Task OnSignal_WhileBothRun_ForwardedToBothNoRestartReturnsTheRuntimeStatus(int signal, int runtimeStatus)
    {
        var harness = new SupervisorHarness(l => l.Configure = c => c.Traps[Signals.SigTerm] = c.Spec.FileName == "runtime" ? 23 : 0);
        var (guardian, runtime) = await harness.PastHealAsync();

        harness.Supervisor.OnSignal(signal);

        Assert.Equal(runtimeStatus, await harness.ExitStatusAsync());
        Assert.Equal([signal], runtime.Signals);
        Assert.Equal([signal], guardian.Signals);
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Single(harness.Launcher.Guardians);
        Assert.Contains($"SignalForwarded Received {Signals.Name(signal)}; forwarded it to the runtime (pid 102), the guardian (pid 101)", harness.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnSignal_DuringTheRestartDelay_NoRestart()
    {
        var harness = new SupervisorHarness();
        var (guardian, runtime) = await harness.PastHealAsync();
        guardian.Exit(1);
        await harness.WaitAsync(() => harness.Time.TimersArmed == 2, "the restart delay to be armed");

        harness.Supervisor.OnSignal(Signals.SigTerm);
        harness.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(143, await harness.ExitStatusAsync());
        Assert.Single(harness.Launcher.Guardians);
        Assert.Equal([Signals.SigTerm], runtime.Signals);
    }

    [Fact]
    public async Task OnSignal_DuringTheHeal_ForwardedToItRuntimeNeverStartsReturns143()
    {
        var harness = new SupervisorHarness();
        await harness.WaitAsync(() => harness.Launcher.Heals.Count == 1, "the startup heal to start");

        harness.Supervisor.OnSignal(Signals.SigTerm);

        Assert.Equal(143, await harness.ExitStatusAsync());
        Assert.Equal([Signals.SigTerm], harness.Launcher.Heals[0].Signals);
        Assert.Single(harness.Launcher.Started);
        Assert.Contains("StoppedBeforeRuntime Stopped by SIGTERM before the runtime started; exiting with 143", harness.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnSignal_DuringAHealThatIgnoresIt_HealKilledAfterTheStopTimeoutReturns143()
    {
        var harness = new SupervisorHarness(l => l.Configure = c => c.Ignored.Add(Signals.SigTerm));
        await harness.WaitAsync(() => harness.Launcher.Heals.Count == 1, "the startup heal to start");
        harness.Supervisor.OnSignal(Signals.SigTerm);

        await harness.AdvanceAfterTimerAsync(2, SupervisorHarness.Options.StopTimeout);

        Assert.Equal(143, await harness.ExitStatusAsync());
        Assert.Equal([Signals.SigTerm, Signals.SigKill], harness.Launcher.Heals[0].Signals);
        Assert.Single(harness.Launcher.Started);
    }

    [Fact]
    public async Task RunAsync_RuntimeCannotStart_StopsTheGuardianAndReturns127()
    {
        var harness = new SupervisorHarness(l => l.FailsToStart = spec => spec.FileName == "runtime");
        await harness.WaitAsync(() => harness.Launcher.Heals.Count == 1, "the startup heal to start");
        harness.Launcher.Heals[0].Exit(0);

        Assert.Equal(127, await harness.ExitStatusAsync());
        Assert.Equal([Signals.SigTerm], harness.Launcher.Guardians[0].Signals);
        Assert.Contains("StartFailed Could not start the runtime runtime --flag: No such file or directory", harness.Log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_GuardianCannotStart_TriedAgainWithBackOffWhileTheRuntimeRuns()
    {
        var fail = true;
        var harness = new SupervisorHarness(l => l.FailsToStart = spec => spec.Arguments[0] == "run" && Volatile.Read(ref fail));
        await harness.WaitAsync(() => harness.Launcher.Heals.Count == 1, "the startup heal to start");
        harness.Launcher.Heals[0].Exit(0);
        await harness.WaitAsync(() => harness.Launcher.Runtimes.Count == 1, "the runtime to start");
        Assert.Empty(harness.Launcher.Guardians);

        Volatile.Write(ref fail, false);
        await harness.AdvanceAfterTimerAsync(2, TimeSpan.FromSeconds(1));

        await harness.WaitAsync(() => harness.Launcher.Guardians.Count == 1, "the guardian started on the retry");
    }
}
