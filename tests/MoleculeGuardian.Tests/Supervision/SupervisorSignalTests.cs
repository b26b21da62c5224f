using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>Signals other than SIGTERM/SIGINT: the runtime's alone; nothing stops, nothing restarts; a storm is one line.</summary>
public sealed class SupervisorSignalTests
{
    private const int SigHup = 1;
    private const int SigQuit = 3;
    private const int SigUsr1 = 10;
    private const int SigTstp = 20;

    /// <summary>A runtime that traps them (as a reloading server does); the guardian would die of most, so it never gets them.</summary>
    [Theory]
    [InlineData(SigHup)]
    [InlineData(SigQuit)]
    [InlineData(SigUsr1)]
    [InlineData(SigTstp)]
    [InlineData(Signals.SigWinch)]
    [InlineData(40)]
    public async Task OnSignal_OtherThanTermOrInt_RuntimeAloneGetsItEverythingRunsOn(int signal)
    {
        var harness = new SupervisorHarness(l => l.Configure = c => c.Ignored.Add(signal));
        var (guardian, runtime) = await harness.PastHealAsync();

        harness.Supervisor.OnSignal(signal);
        harness.Supervisor.OnSignal(signal);

        Assert.Equal([signal, signal], runtime.Signals);
        Assert.Empty(guardian.Signals);
        Assert.False(harness.Run.IsCompleted);
        Assert.Single(harness.Launcher.Guardians);
        Assert.Equal(1, harness.Log.Count($"SignalPassedOn Received {Signals.Name(signal)}; passed it on to the runtime (pid 102)"));
        Assert.DoesNotContain("SignalForwarded", harness.Log.Text, StringComparison.Ordinal);

        // SIGTERM still stops everything, with the runtime's status.
        harness.Supervisor.OnSignal(Signals.SigTerm);
        Assert.Equal(143, await harness.ExitStatusAsync());
        Assert.Equal([Signals.SigTerm], guardian.Signals);
    }

    /// <summary>After a passed-on signal the guardian's restarts go on as before: it is not a stop.</summary>
    [Fact]
    public async Task OnSignal_HupThenGuardianExits_StillRestarted()
    {
        var harness = new SupervisorHarness(l => l.Configure = c => c.Ignored.Add(SigHup));
        var (guardian, _) = await harness.PastHealAsync();
        harness.Supervisor.OnSignal(SigHup);

        guardian.Exit(1);
        await harness.AdvanceAfterTimerAsync(3, TimeSpan.FromSeconds(1));

        await harness.WaitAsync(() => harness.Launcher.Guardians.Count == 2, "the guardian restarted after a SIGHUP");
    }

    /// <summary>During the startup heal there is no runtime yet: the signal goes to no child (the .NET heal would die of it).</summary>
    [Fact]
    public async Task OnSignal_HupDuringTheHeal_NoChildGetsItTheRuntimeStillStarts()
    {
        var harness = new SupervisorHarness();
        await harness.WaitAsync(() => harness.Launcher.Heals.Count == 1, "the startup heal to start");

        harness.Supervisor.OnSignal(SigHup);

        Assert.Empty(harness.Launcher.Heals[0].Signals);
        Assert.Contains("SignalPassedOn Received SIGHUP; passed it on to no child: the runtime is not running", harness.Log.Text, StringComparison.Ordinal);
        var (_, runtime) = await harness.PastHealAsync();
        Assert.Empty(runtime.Signals);
    }

    /// <summary>A terminal dragged to a new size: hundreds of SIGWINCH. Each reaches the runtime; the log holds two lines.</summary>
    [Fact]
    public async Task OnSignal_WinchStorm_EveryOneForwardedOneLineThenACountPerWindow()
    {
        var harness = new SupervisorHarness(l => l.Configure = c => c.Ignored.Add(Signals.SigWinch));
        var (_, runtime) = await harness.PastHealAsync();
        var armed = harness.Time.TimersArmed;

        for (var i = 0; i < 500; i++)
        {
            harness.Supervisor.OnSignal(Signals.SigWinch);
        }

        await harness.AdvanceAfterTimerAsync(armed + 1, Supervisor.SignalLogWindow);

        Assert.Equal(500, runtime.Signals.Count);
        Assert.Equal(1, harness.Log.Count("SignalPassedOn"));
        Assert.Equal(1, harness.Log.Count("SignalsRepeated Received SIGWINCH 499 more times in the last 10000 ms; passed on to the runtime (pid 102)"));
    }
}
