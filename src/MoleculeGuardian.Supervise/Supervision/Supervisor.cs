using Microsoft.Extensions.Logging;

namespace MoleculeGuardian.Supervision;

/// <summary>
/// The container's supervisor (<c>molecule-guardian-supervise -- RUNTIME...</c>):
/// <list type="number">
/// <item>runs <c>heal</c> once and waits for it (bounded), so the runtime boots on a healed file;</item>
/// <item>starts <c>run</c> and then the runtime, both as children: a guardian crash never takes the runtime down;</item>
/// <item>restarts <c>run</c> when it exits (<see cref="RestartPolicy"/>), never after the invalid-configuration status;</item>
/// <item>passes signals on (<see cref="OnSignal"/>, routed by <see cref="Signals"/>): SIGTERM/SIGINT to every child,
/// and no restarts after one; every other signal tini passes on to the runtime alone;</item>
/// <item>when the runtime exits, stops <c>run</c> and returns the runtime's status (128+n after signal n).</item>
/// </list>
/// All timing is on the <see cref="TimeProvider"/>; children come from the <see cref="IChildLauncher"/> seam.
/// <c>invalidConfigurationStatus</c> is the guardian's exit status for an invalid configuration: not restarted after it
/// (passed in, so that this folder needs nothing of <c>Cli</c>).
/// </summary>
internal sealed class Supervisor(
    IChildLauncher launcher, SupervisorOptions options, SupervisorCommands commands, int invalidConfigurationStatus, TimeProvider time, ILogger log)
    : IDisposable
{
    /// <summary>What a shell answers for a command it cannot run.</summary>
    public const int CannotStart = 127;

    /// <summary>A storm of one signal is logged once per this long (<see cref="SignalLogLimiter"/>).</summary>
    public static readonly TimeSpan SignalLogWindow = TimeSpan.FromSeconds(10);

    private readonly RestartPolicy _policy = new(options.RestartMinDelay, options.RestartMaxDelay, options.RestartResetAfter, invalidConfigurationStatus);
    private readonly SignalLogLimiter _signalLog = new(time, SignalLogWindow,
        (signal, count, target) => SupervisorLog.SignalsRepeated(log, Signals.Name(signal), count, SignalLogWindow.TotalMilliseconds, target));

    private readonly TaskCompletionSource<int> _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private IChildProcess? _heal;
    private IChildProcess? _runtime;
    private IChildProcess? _guardian;
    private long _guardianStartedAt;
    private int? _signal;

    /// <summary>A signal reached the supervisor: passed on as <see cref="Signals.Route(int)"/> says.</summary>
    public void OnSignal(int signal)
    {
        if (Signals.Route(signal) == SignalRoute.Stop)
        {
            Stop(signal);
        }
        else
        {
            PassOnToRuntime(signal);
        }
    }

    /// <summary>SIGTERM or SIGINT: pass it on to every child there is, and stop restarting.</summary>
    private void Stop(int signal)
    {
        var targets = new List<string>();
        lock (_gate)
        {
            _signal ??= signal;
            foreach (var (name, child) in new[] { ("the startup heal", _heal), ("the runtime", _runtime), ("the guardian", _guardian) })
            {
                if (child is not null)
                {
                    child.Signal(signal);
                    targets.Add($"{name} (pid {child.Pid})");
                }
            }
        }

        SupervisorLog.SignalForwarded(log, Signals.Name(signal), targets.Count == 0 ? "no child" : string.Join(", ", targets));
        _stopRequested.TrySetResult(signal);
    }

    /// <summary>
    /// Any other signal is the runtime's: the guardian's children never get it (.NET would stop or die of most),
    /// and the supervisor runs on. Before the runtime starts, or after it exited, there is no one to pass it to.
    /// </summary>
    private void PassOnToRuntime(int signal)
    {
        string target;
        lock (_gate)
        {
            _runtime?.Signal(signal);
            target = _runtime is { } runtime ? $"the runtime (pid {runtime.Pid})" : "no child: the runtime is not running";
        }

        if (_signalLog.Admit(signal, target))
        {
            SupervisorLog.SignalPassedOn(log, Signals.Name(signal), target);
        }
    }

    /// <summary>Ends the signal log's windows, reporting the counts not yet reported.</summary>
    public void Dispose() => _signalLog.Dispose();

    public async Task<int> RunAsync()
    {
        if (await HealAsync().ConfigureAwait(false) is int stoppedStatus)
        {
            return stoppedStatus;
        }

        IChildProcess? runtime;
        lock (_gate)
        {
            if (_signal is int signal)
            {
                return StoppedBeforeRuntime(signal);
            }

            // The guardian first, so its watch is in place before the runtime's first rewrite.
            StartGuardianLocked();
            runtime = _runtime = TryStart("runtime", commands.Runtime);
        }

        if (runtime is null)
        {
            await StopGuardianAsync().ConfigureAwait(false);
            return CannotStart;
        }

        SupervisorLog.RuntimeStarted(log, commands.Runtime.Describe(), runtime.Pid);
        await SuperviseGuardianAsync(runtime.Exited).ConfigureAwait(false);
        var status = await runtime.Exited.ConfigureAwait(false);
        lock (_gate)
        {
            _runtime = null;
        }

        SupervisorLog.RuntimeExited(log, status);
        await StopGuardianAsync().ConfigureAwait(false);
        return status;
    }

    /// <summary>The startup heal; null to go on, or the supervisor's exit status when a signal stopped it first.</summary>
    private async Task<int?> HealAsync()
    {
        IChildProcess? heal;
        lock (_gate)
        {
            if (_signal is int early)
            {
                return StoppedBeforeRuntime(early);
            }

            heal = _heal = TryStart("startup heal", commands.Heal);
        }

        if (heal is not null)
        {
            using var timeout = new CancellationTokenSource();
            var expired = Task.Delay(options.HealTimeout, time, timeout.Token);
            var first = await Task.WhenAny(heal.Exited, expired, _stopRequested.Task).ConfigureAwait(false);
            await timeout.CancelAsync().ConfigureAwait(false);
            if (first == _stopRequested.Task)
            {
                // The signal went to the heal as well: it gets the stop timeout to finish, as any child does.
                await ExitOrKillAsync(heal, "startup heal", options.StopTimeout).ConfigureAwait(false);
            }
            else if (first == expired)
            {
                SupervisorLog.ChildKilled(log, "startup heal", heal.Pid, options.HealTimeout.TotalMilliseconds);
                heal.Signal(Signals.SigKill);
            }

            var status = await heal.Exited.ConfigureAwait(false);
            var answer = (await heal.Output.ConfigureAwait(false)).Trim();
            lock (_gate)
            {
                _heal = null;
                if (_signal is int signal)
                {
                    return StoppedBeforeRuntime(signal);
                }
            }

            if (status != 0)
            {
                SupervisorLog.StartupHealFailed(log, status, first == expired ? $"killed after {options.HealTimeout.TotalSeconds:0.###} s" : answer);
            }
        }

        return null;
    }

    /// <summary>A signal came before the runtime started: it is not started, and the status says why (128+n, as a shell).</summary>
    private int StoppedBeforeRuntime(int signal)
    {
        SupervisorLog.StoppedBeforeRuntime(log, Signals.Name(signal), 128 + signal);
        return 128 + signal;
    }

    /// <summary>Keeps <c>run</c> going until the runtime exits, a signal arrives or the guardian gives up (invalid configuration).</summary>
    private async Task SuperviseGuardianAsync(Task<int> runtimeExited)
    {
        using var stop = new CancellationTokenSource();
        while (true)
        {
            IChildProcess? guardian;
            lock (_gate)
            {
                guardian = _guardian;
            }

            if (guardian is not null)
            {
                if (await Task.WhenAny(runtimeExited, guardian.Exited).ConfigureAwait(false) == runtimeExited)
                {
                    return;
                }

                var exitCode = await guardian.Exited.ConfigureAwait(false);
                TimeSpan ranFor;
                lock (_gate)
                {
                    _guardian = null;
                    ranFor = time.GetElapsedTime(_guardianStartedAt);
                    if (_signal is not null)
                    {
                        return;
                    }
                }

                if (_policy.OnExit(exitCode, ranFor) is not TimeSpan delay)
                {
                    SupervisorLog.GuardianGaveUp(log, exitCode);
                    return;
                }

                SupervisorLog.GuardianExited(log, exitCode, ranFor.TotalMilliseconds, delay.TotalMilliseconds);
                if (!await RestartDelayAsync(delay, runtimeExited, stop.Token).ConfigureAwait(false))
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
            else if (!await RestartDelayAsync(_policy.OnExit(CannotStart, TimeSpan.Zero) ?? options.RestartMaxDelay, runtimeExited, stop.Token).ConfigureAwait(false))
            {
                // A guardian that could not even start (no such user, no binary) is tried again with the same back-off.
                await stop.CancelAsync().ConfigureAwait(false);
                return;
            }

            lock (_gate)
            {
                if (_signal is not null)
                {
                    return;
                }

                StartGuardianLocked();
            }
        }
    }

    /// <summary>True when the delay passed; false when the runtime exited or a signal came first.</summary>
    private async Task<bool> RestartDelayAsync(TimeSpan delay, Task<int> runtimeExited, CancellationToken cancel)
    {
        var timer = Task.Delay(delay, time, cancel);
        return await Task.WhenAny(timer, runtimeExited, _stopRequested.Task).ConfigureAwait(false) == timer;
    }

    private void StartGuardianLocked()
    {
        _guardianStartedAt = time.GetTimestamp();
        _guardian = TryStart("guardian", commands.Guardian);
        if (_guardian is not null)
        {
            SupervisorLog.GuardianStarted(log, _guardian.Pid, commands.Guardian.RunAs is { Length: > 0 } user ? user : Environment.UserName);
        }
    }

    private IChildProcess? TryStart(string what, ChildSpec spec)
    {
        try
        {
            return launcher.Start(spec);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            SupervisorLog.StartFailed(log, what, spec.Describe(), ex.Message);
            return null;
        }
    }

    /// <summary>The runtime is gone: so is the container, and the guardian with it (unless a forwarded signal already went).</summary>
    private async Task StopGuardianAsync()
    {
        IChildProcess? guardian;
        lock (_gate)
        {
            guardian = _guardian;
            if (guardian is not null && _signal is null)
            {
                guardian.Signal(Signals.SigTerm);
            }
        }

        if (guardian is not null)
        {
            await ExitOrKillAsync(guardian, "guardian", options.StopTimeout).ConfigureAwait(false);
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the child to exit, then kills it and waits for that.</summary>
    private async Task ExitOrKillAsync(IChildProcess child, string what, TimeSpan timeout)
    {
        if (timeout > TimeSpan.Zero)
        {
            using var cancel = new CancellationTokenSource();
            var expired = Task.Delay(timeout, time, cancel.Token);
            var first = await Task.WhenAny(child.Exited, expired).ConfigureAwait(false);
            await cancel.CancelAsync().ConfigureAwait(false);
            if (first == child.Exited)
            {
                return;
            }
        }

        if (!child.Exited.IsCompleted)
        {
            SupervisorLog.ChildKilled(log, what, child.Pid, timeout.TotalMilliseconds);
            child.Signal(Signals.SigKill);
        }

        await child.Exited.ConfigureAwait(false);
    }
}
