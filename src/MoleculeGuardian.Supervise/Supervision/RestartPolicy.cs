namespace MoleculeGuardian.Supervision;

/// <summary>
/// When to restart the guardian after it exits: capped exponential back-off, back to the minimum after a run of at
/// least <c>resetAfter</c>, and never after <c>noRestartStatus</c> (the guardian's exit status for an invalid
/// configuration: the next start would fail the same way). Pure: the caller measures how long the guardian ran.
/// </summary>
internal sealed class RestartPolicy
{
    private readonly TimeSpan _minDelay;
    private readonly TimeSpan _maxDelay;
    private readonly TimeSpan _resetAfter;
    private readonly int _noRestartStatus;
    private TimeSpan _next;

    public RestartPolicy(TimeSpan minDelay, TimeSpan maxDelay, TimeSpan resetAfter, int noRestartStatus)
    {
        _minDelay = minDelay;
        _maxDelay = maxDelay;
        _resetAfter = resetAfter;
        _noRestartStatus = noRestartStatus;
        _next = minDelay;
    }

    /// <summary>The delay before the next start, or null: do not restart.</summary>
    public TimeSpan? OnExit(int exitCode, TimeSpan ranFor)
    {
        if (exitCode == _noRestartStatus)
        {
            return null;
        }

        if (ranFor >= _resetAfter)
        {
            _next = _minDelay;
        }

        var delay = _next;
        _next = delay * 2 < _maxDelay ? delay * 2 : _maxDelay;
        return delay;
    }
}
