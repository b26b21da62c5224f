namespace MoleculeGuardian.Supervision;

/// <summary>
/// Keeps a storm of signals (a terminal resized by dragging sends SIGWINCH after SIGWINCH) to one log line per kind of
/// signal and window. The first of a kind is logged at once and opens a window; more of that kind within it are only
/// counted, and its end reports the count in one line (<paramref name="repeated"/>) and opens the next window. A
/// window that ends with none closes, so the next one is logged at once again. Nothing is lost: every signal is in
/// a line, alone or counted (the last counts when the supervisor exits).
/// </summary>
internal sealed class SignalLogLimiter(TimeProvider time, TimeSpan window, Action<int, int, string> repeated) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Window> _open = [];
    private bool _disposed;

    /// <summary>
    /// True: log this signal now. False: it is counted, and reported when its window ends with the latest
    /// <paramref name="target"/> (where it went).
    /// </summary>
    public bool Admit(int signal, string target)
    {
        lock (_gate)
        {
            if (_open.TryGetValue(signal, out var open))
            {
                open.Count++;
                open.Target = target;
                return false;
            }

            if (!_disposed)
            {
                _open[signal] = new Window(time.CreateTimer(End, signal, window, Timeout.InfiniteTimeSpan));
            }

            return true;
        }
    }

    /// <summary>Ends every window now, reporting what it counted (the supervisor is exiting), and arms no more.</summary>
    public void Dispose()
    {
        List<(int Signal, Window Window)> ended;
        lock (_gate)
        {
            _disposed = true;
            ended = [.. _open.Select(open => (open.Key, open.Value))];
            _open.Clear();
        }

        foreach (var (signal, window) in ended)
        {
            window.Timer.Dispose();
            if (window.Count > 0)
            {
                repeated(signal, window.Count, window.Target);
            }
        }
    }

    private void End(object? state)
    {
        var signal = (int)state!;
        int count;
        string target;
        lock (_gate)
        {
            if (!_open.Remove(signal, out var ended))
            {
                return;
            }

            ended.Timer.Dispose();
            (count, target) = (ended.Count, ended.Target);
            if (count > 0 && !_disposed)
            {
                _open[signal] = new Window(time.CreateTimer(End, signal, window, Timeout.InfiniteTimeSpan));
            }
        }

        if (count > 0)
        {
            repeated(signal, count, target);
        }
    }

    private sealed class Window(ITimer timer)
    {
        public ITimer Timer { get; } = timer;

        public int Count { get; set; }

        public string Target { get; set; } = "";
    }
}
