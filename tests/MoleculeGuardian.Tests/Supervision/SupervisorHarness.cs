using MoleculeGuardian.Supervision;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>A <see cref="Supervisor"/> over fake children on a fake clock, running from construction.</summary>
internal sealed class SupervisorHarness
{
    /// <summary>The guardian's exit status after which it is not restarted (the CLI passes its EX_CONFIG, 78).</summary>
    public const int InvalidConfiguration = 78;

    public static readonly SupervisorOptions Options = new()
    {
        RestartMinDelay = TimeSpan.FromSeconds(1),
        RestartMaxDelay = TimeSpan.FromSeconds(4),
        RestartResetAfter = TimeSpan.FromSeconds(60),
        HealTimeout = TimeSpan.FromSeconds(30),
        StopTimeout = TimeSpan.FromSeconds(10),
    };

    public SupervisorHarness(Action<FakeLauncher>? configure = null)
    {
        configure?.Invoke(Launcher);
        var commands = new SupervisorCommands(
            new ChildSpec("guardian", ["heal"]) { CaptureOutput = true },
            new ChildSpec("guardian", ["run"]) { RunAs = "agent" },
            new ChildSpec("runtime", ["--flag"]));
        Supervisor = new Supervisor(Launcher, Options, commands, InvalidConfiguration, Time, Log);
        Run = Task.Run(Supervisor.RunAsync);
    }

    public FakeLauncher Launcher { get; } = new();

    public TimerCountingClock Time { get; } = new();

    public TestLog Log { get; } = new();

    public Supervisor Supervisor { get; }

    /// <summary>The supervisor's run: completes with its exit status.</summary>
    public Task<int> Run { get; }

    public Task WaitAsync(Func<bool> condition, string what) =>
        Eventually.TrueAsync(() => condition() || Run.IsFaulted, what, context: Describe);

    /// <summary>Waits for the startup heal, ends it with <paramref name="status"/>, and waits for the runtime.</summary>
    public async Task<(FakeChild Guardian, FakeChild Runtime)> PastHealAsync(int status = 0)
    {
        await WaitAsync(() => Launcher.Heals.Count == 1, "the startup heal to start");
        Launcher.Heals[0].Exit(status);
        await WaitAsync(() => Launcher.Runtimes.Count == 1, "the runtime to start");
        return (Launcher.Guardians[0], Launcher.Runtimes[0]);
    }

    /// <summary>Advances the clock once the supervisor has armed its <paramref name="timers"/>th timer (counting from 1).</summary>
    public async Task AdvanceAfterTimerAsync(int timers, TimeSpan by)
    {
        await WaitAsync(() => Time.TimersArmed >= timers, $"timer {timers} to be armed");
        Time.Advance(by);
    }

    public async Task<int> ExitStatusAsync()
    {
        var finished = await Task.WhenAny(Run, Task.Delay(Eventually.DefaultTimeout));
        Assert.True(finished == Run, "the supervisor did not return\n" + Describe());
        return await Run;
    }

    public string Describe() =>
        $"started: {string.Join(", ", Launcher.Started.Select(c => $"{c.Spec.Describe()} signals [{string.Join(' ', c.Signals)}]"))}\nlog:\n{Log.Text}";
}
