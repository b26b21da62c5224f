namespace MoleculeGuardian.Watching;

/// <summary>
/// A debounce that acts on its leading edge. The first signal fires at once; signals that arrive while the work it
/// started is still running coalesce into exactly one more firing, the moment that work completes. Nothing waits for
/// quiet: the heartbeat punishes every moment the protected entry is out of the file, so a heal that may be needed
/// starts as soon as the one in front of it is done, and a burst of any length costs at most one heal beyond the
/// one in flight. The reason of the first coalesced signal is the one the follow-up fires with.
/// </summary>
/// <remarks>
/// No clock: the window is the work in flight, not a time. A quiet-time window would put a wait in front of every
/// heal that follows a change, which is exactly what the entry's absence cannot afford.
/// </remarks>
public sealed class Debouncer<T>(Action<T> fire)
{
    private readonly Lock _gate = new();
    private bool _running;
    private bool _owed;
    private T? _owedReason;

    /// <summary>True between a firing and the <see cref="Completed"/> that ends its work.</summary>
    public bool Running
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

    /// <summary>Something changed: fire now, or owe one firing after the work in flight.</summary>
    public void Signal(T reason)
    {
        lock (_gate)
        {
            if (_running)
            {
                if (!_owed)
                {
                    _owed = true;
                    _owedReason = reason;
                }

                return;
            }

            _running = true;
        }

        fire(reason);
    }

    /// <summary>The work of the last firing is done: fire the owed follow-up, if any, else go idle.</summary>
    public void Completed()
    {
        T reason;
        lock (_gate)
        {
            if (!_owed)
            {
                _running = false;
                return;
            }

            _owed = false;
            reason = _owedReason!;
            _owedReason = default;
        }

        fire(reason);
    }
}
