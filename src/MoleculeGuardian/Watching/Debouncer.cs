namespace MoleculeGuardian.Watching;

/// <summary>
/// Turns a burst of signals into one call: the quiet time after the last signal, but never later than
/// the max delay after the first, so a continuous stream still gets served. Time comes from
/// <see cref="TimeProvider"/>, so tests drive it with a fake clock.
/// </summary>
public sealed class Debouncer : IDisposable
{
    private readonly TimeSpan _quiet;
    private readonly TimeSpan _maxDelay;
    private readonly TimeProvider _time;
    private readonly Action _fire;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private long _firstSignal;
    private bool _pending;

    public Debouncer(TimeSpan quiet, TimeSpan maxDelay, TimeProvider time, Action fire)
    {
        ArgumentNullException.ThrowIfNull(time);
        _quiet = quiet;
        _maxDelay = maxDelay;
        _time = time;
        _fire = fire;
        _timer = time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void Signal()
    {
        lock (_gate)
        {
            if (!_pending)
            {
                _pending = true;
                _firstSignal = _time.GetTimestamp();
            }

            var left = _maxDelay - _time.GetElapsedTime(_firstSignal);
            var due = left < _quiet ? left : _quiet;
            _timer.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose() => _timer.Dispose();

    private void OnTimer()
    {
        lock (_gate)
        {
            if (!_pending)
            {
                return;
            }

            _pending = false;
        }

        _fire();
    }
}
