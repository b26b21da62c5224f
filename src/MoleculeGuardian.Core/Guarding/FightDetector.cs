namespace MoleculeGuardian.Guarding;

/// <summary>
/// Notices when the guardian keeps re-writing the file: more than <c>threshold</c> heals within a minute means
/// another writer keeps undoing them. Says so at most once a minute.
/// </summary>
internal sealed class FightDetector(int threshold, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Queue<DateTimeOffset> _heals = new();
    private DateTimeOffset _lastWarning = DateTimeOffset.MinValue;

    /// <summary>
    /// Records heals that found the entry out (each one wrote, or lost the race to write); returns the count of the
    /// last minute when it is time to warn.
    /// </summary>
    public int? RecordHeals(int count)
    {
        var now = time.GetUtcNow();
        for (var i = 0; i < count; i++)
        {
            _heals.Enqueue(now);
        }

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

    /// <summary>Records one heal; see <see cref="RecordHeals"/>.</summary>
    public int? RecordHeal() => RecordHeals(1);
}
