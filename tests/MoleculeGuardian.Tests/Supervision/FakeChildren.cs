using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>
/// A child that exits when the test says so, or on a signal it does not handle (as a real process would: 128+n).
/// Records every signal it receives.
/// </summary>
internal sealed class FakeChild(int pid, ChildSpec spec) : IChildProcess
{
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<int> _signals = [];

    public int Pid { get; } = pid;

    public ChildSpec Spec { get; } = spec;

    public Task<int> Exited => _exit.Task;

    public Task<string> Output => Task.FromResult(OutputText);

    public string OutputText { get; set; } = "";

    /// <summary>Signals the child handles by exiting with the given status (like a runtime's trap).</summary>
    public Dictionary<int, int> Traps { get; } = [];

    /// <summary>Signals the child ignores (SIGKILL cannot be ignored).</summary>
    public HashSet<int> Ignored { get; } = [];

    public IReadOnlyList<int> Signals
    {
        get
        {
            lock (_signals)
            {
                return [.. _signals];
            }
        }
    }

    public void Exit(int status) => _exit.TrySetResult(status);

    public void Signal(int signal)
    {
        lock (_signals)
        {
            _signals.Add(signal);
        }

        if (Traps.TryGetValue(signal, out var status))
        {
            Exit(status);
        }
        else if (signal == MoleculeGuardian.Supervision.Signals.SigKill || !Ignored.Contains(signal))
        {
            Exit(128 + signal);
        }
    }
}

/// <summary>Starts <see cref="FakeChild"/>ren and remembers them in order; a spec can be made to fail to start.</summary>
internal sealed class FakeLauncher : IChildLauncher
{
    private readonly List<FakeChild> _started = [];
    private int _nextPid = 100;

    /// <summary>Called on each new child before the supervisor sees it (to set traps).</summary>
    public Action<FakeChild>? Configure { get; set; }

    public Func<ChildSpec, bool> FailsToStart { get; set; } = _ => false;

    public IReadOnlyList<FakeChild> Started
    {
        get
        {
            lock (_started)
            {
                return [.. _started];
            }
        }
    }

    public IReadOnlyList<FakeChild> Heals => Of("heal");

    public IReadOnlyList<FakeChild> Guardians => Of("run");

    public IReadOnlyList<FakeChild> Runtimes => [.. Started.Where(c => c.Spec.FileName == "runtime")];

    public IChildProcess Start(ChildSpec spec)
    {
        if (FailsToStart(spec))
        {
            throw new System.ComponentModel.Win32Exception(2, "No such file or directory");
        }

        FakeChild child;
        lock (_started)
        {
            child = new FakeChild(_nextPid++, spec);
            _started.Add(child);
        }

        Configure?.Invoke(child);
        return child;
    }

    private List<FakeChild> Of(string command) =>
        [.. Started.Where(c => c.Spec.FileName == "guardian" && c.Spec.Arguments[0] == command)];
}
