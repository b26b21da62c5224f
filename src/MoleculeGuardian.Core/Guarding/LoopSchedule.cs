using MoleculeGuardian.Healing;

namespace MoleculeGuardian.Guarding;

/// <summary>When the heal loop looks again, and why: the pure part of the loop.</summary>
/// <param name="SettleAt">A torn read's settle deadline: the file stayed as it was until then.</param>
/// <param name="RetryAt">A failed heal's retry, or the end of a conflict back-off.</param>
/// <param name="ResyncAt">The periodic re-check, the safety net for any event lost anyway.</param>
/// <param name="Failures">Failed heals in a row (the retry back-off's exponent).</param>
/// <param name="Conflicts">Heals in a row that lost every round to another writer.</param>
internal readonly record struct LoopSchedule(TimeSpan? SettleAt, TimeSpan? RetryAt, TimeSpan ResyncAt, int Failures = 0, int Conflicts = 0)
{
    /// <summary>The first conflict back-off; it doubles with each heal in a row that loses every round, up to the retry minimum.</summary>
    public static readonly TimeSpan FirstConflictDelay = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// While backing off after lost races, a change does not start a heal before <see cref="RetryAt"/>: the guardian's
    /// own put-back renames and the other writer's storm would otherwise drive heal after heal.
    /// </summary>
    public bool BackingOff => Conflicts > 0 && RetryAt is not null;

    /// <summary>The earliest deadline and the trigger it stands for.</summary>
    public (TimeSpan At, HealTrigger Trigger) Next
    {
        get
        {
            var next = (At: ResyncAt, Trigger: HealTrigger.Periodic);
            if (SettleAt is { } settle && settle < next.At)
            {
                next = (settle, HealTrigger.Settle);
            }

            if (RetryAt is { } retry && retry < next.At)
            {
                next = (retry, HealTrigger.Retry);
            }

            return next;
        }
    }

    public static LoopSchedule Start(TimeSpan now, TimeSpan resync) => new(null, null, now + resync);

    /// <summary>The schedule after a heal that ended at <paramref name="now"/> with <paramref name="report"/>.</summary>
    public LoopSchedule After(HealReport report, TimeSpan now, TimeSpan resync, TimeSpan retryMin, TimeSpan retryMax)
    {
        ArgumentNullException.ThrowIfNull(report);

        // Every heal is a look at the file: the safety net counts from the last one. A retry whose time has come has
        // just run (or been overtaken by this heal).
        var next = this with
        {
            ResyncAt = now + resync,
            SettleAt = report.Status == HealStatus.Torn ? now + report.SettleIn!.Value : null,
            RetryAt = RetryAt > now ? RetryAt : null,
        };
        return report.Status switch
        {
            // A torn file is looked at again at its next change or its settle deadline; a refusal at the next change or
            // re-check. Neither says anything about a retry already planned.
            HealStatus.Torn or HealStatus.Refused => next,
            HealStatus.Conflict => next with
            {
                Conflicts = Conflicts + 1,
                RetryAt = now + Backoff(Conflicts + 1, FirstConflictDelay, retryMin),
            },
            HealStatus.Failed => next with { Failures = Failures + 1, RetryAt = now + Backoff(Failures + 1, retryMin, retryMax) },
            _ => next with { Failures = 0, Conflicts = 0, RetryAt = null },
        };
    }

    /// <summary>Capped exponential backoff: min, 2×min, 4×min, … up to max.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan min, TimeSpan max)
    {
        var factor = Math.Pow(2, Math.Min(Math.Max(attempt - 1, 0), 30));
        var ticks = Math.Min(min.Ticks * factor, max.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
