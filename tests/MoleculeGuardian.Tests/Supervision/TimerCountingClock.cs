using Microsoft.Extensions.Time.Testing;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that counts the timers armed on it. Advancing the clock before the code under
/// test has armed its timer would move past a deadline it never sees, so tests wait for the count, then advance.
/// </summary>
internal sealed class TimerCountingClock : FakeTimeProvider
{
    private int _timers;

    public int TimersArmed => Volatile.Read(ref _timers);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }
}
