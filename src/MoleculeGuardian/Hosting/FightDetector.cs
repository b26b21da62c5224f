namespace MoleculeGuardian.Hosting;

/// <summary>
/// Notices when the guardian keeps re-writing the file: more than <c>threshold</c> heals within a minute means
/// another writer keeps undoing them. Says so at most once a minute.
/// </summary>
public sealed class FightDetector(int threshold, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Queue<DateTimeOffset> _heals = new();
    private DateTimeOffset _lastWarning = DateTimeOffset.MinValue;

    /// <summary>Records a heal that wrote; returns the heal count of the last minute when it is time to warn.</summary>
    public int? RecordHeal()
    {
        var now = time.GetUtcNow();
        _heals.Enqueue(now);
        while (_heals.Peek() <= now - Window)
        {
            _heals.Dequeue();
        }

        if (_heals.Count <= threshold || now - _lastWarning < Window)
        {
            return null;
        }

        _lastWarning = now;
        return _heals.Count;
    }
}
