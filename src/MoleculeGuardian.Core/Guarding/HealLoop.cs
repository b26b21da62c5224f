using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Logging;

namespace MoleculeGuardian.Guarding;

/// <summary>
/// The one loop that runs heals, one at a time. Changes come in from the watcher through a channel that holds one
/// pending heal (the design card's debounce, acting on its leading edge: a change starts a heal at once, and any number
/// of changes during a heal cost exactly one more); everything that must happen later (a torn file's settle deadline, a
/// retry, the periodic re-check) is a deadline the loop keeps in its <see cref="LoopSchedule"/> and waits for itself.
/// Nothing writes back into the channel but the watcher.
/// </summary>
internal sealed class HealLoop
{
    private readonly Healer _healer;
    private readonly GuardianOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly FightDetector _fight;
    private readonly GuardianMetrics? _metrics;
    private readonly Action _idle;
    private readonly long _origin;
    // Stryker disable once Initializer,Boolean : only TryWrite writes, which never waits, so the default full mode drops a change as DropWrite does; SingleReader is a hint
    private readonly Channel<HealTrigger> _changes = Channel.CreateBounded<HealTrigger>(new BoundedChannelOptions(1)
    {
        // While one change waits, more are dropped: the waiting heal's read covers them. The reason that waits is the
        // first one, which is the one logged.
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private LoopSchedule _schedule;
    private long _healStarted;

    /// <summary>A loop around <paramref name="healer"/>; <paramref name="idle"/> runs when a heal ends with nothing else waiting (the memory trim).</summary>
    public HealLoop(Healer healer, GuardianOptions options, TimeProvider time, ILogger log, GuardianMetrics? metrics = null, Action? idle = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _healer = healer;
        _options = options;
        _time = time;
        _log = log;
        _metrics = metrics;
        _idle = idle ?? (() => { });
        _fight = new FightDetector(options.FightThresholdPerMinute, time);
        _origin = time.GetTimestamp();
        _schedule = LoopSchedule.Start(Now, options.ResyncInterval);
    }

    private TimeSpan Now => _time.GetElapsedTime(_origin);

    /// <summary>The watcher saw a change (or lost track): a heal now, or one more after the one in flight.</summary>
    public void Request(HealTrigger trigger) => _changes.Writer.TryWrite(trigger);

    /// <summary>No more heals: <see cref="NextAsync"/> returns null once nothing is in flight.</summary>
    public void Complete() => _changes.Writer.TryComplete();

    /// <summary>
    /// True unless a heal has been running for longer than <paramref name="limit"/>: the loop's own liveness,
    /// reported to the systemd watchdog.
    /// </summary>
    public bool IsResponsive(TimeSpan limit)
    {
        var started = Interlocked.Read(ref _healStarted);
        return started == 0 || _time.GetElapsedTime(started) < limit;
    }

    /// <summary>One heal now, for <paramref name="trigger"/> (the startup heal).</summary>
    public HealReport HealNow(HealTrigger trigger) => Run(trigger);

    /// <summary>
    /// Waits for the next change or deadline, whichever comes first, and runs that heal. Null once the loop is
    /// complete. While backing off after lost races, only the back-off's end starts a heal (changes wait for it).
    /// </summary>
    public async Task<HealReport?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var (at, due) = _schedule.Next;
            if (!_schedule.BackingOff && _changes.Reader.TryRead(out var change))
            {
                return Run(change);
            }

            var wait = at - Now;
            if (wait <= TimeSpan.Zero)
            {
                // A deadline's heal covers any change waiting too.
                _changes.Reader.TryRead(out _);
                return Run(due);
            }

            using var deadline = new CancellationTokenSource(wait, _time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            try
            {
                if (_schedule.BackingOff)
                {
                    // Stryker disable once Boolean : ConfigureAwait(true) is the same here: the guardian has no synchronization context
                    await Task.Delay(Timeout.InfiniteTimeSpan, _time, either.Token).ConfigureAwait(false);
                }
                else
                {
                    // Stryker disable once Boolean : ConfigureAwait(true) is the same here: the guardian has no synchronization context
                    var open = await _changes.Reader.WaitToReadAsync(either.Token).ConfigureAwait(false);
                    if (!open)
                    {
                        return null;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The deadline: the loop goes round and runs it.
            }
        }
    }

    private HealReport Run(HealTrigger trigger)
    {
        Interlocked.Exchange(ref _healStarted, _time.GetTimestamp());
        HealReport report;
        try
        {
            // Every exception ends inside the heal as a Failed report (counted and logged there).
            report = _healer.Heal(trigger);
        }
        finally
        {
            Interlocked.Exchange(ref _healStarted, 0);
        }

        var before = _schedule;
        _schedule = _schedule.After(report, Now, _options.ResyncInterval, _options.RetryMinDelay, _options.RetryMaxDelay);
        if (report.Status == HealStatus.Failed)
        {
            Log.RetryScheduled(_log, report.Status, _schedule.Failures, (_schedule.RetryAt!.Value - Now).TotalMilliseconds);
        }
        else if (report.Status == HealStatus.Conflict && !before.BackingOff)
        {
            Log.BackingOff(_log, report.Conflicts, (_schedule.RetryAt!.Value - Now).TotalMilliseconds, report.Detail!);
        }

        // Every time the guardian found the entry out counts, won or lost: in a storm of evicting writes most heals
        // lose the race to the next write and end on its torn file, not in a write of their own.
        var restores = report.Conflicts + (report.Status == HealStatus.Healed ? 1 : 0);
        if (restores > 0 && _fight.RecordHeals(restores) is { } heals)
        {
            Log.FightingAnotherWriter(_log, heals);
            _metrics?.Fight();
        }

        if (_changes.Reader.Count == 0)
        {
            _idle();
        }

        return report;
    }
}
