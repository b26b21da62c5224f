using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Files;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Logging;

namespace MoleculeGuardian.Guarding;

/// <summary>
/// One heal, start to end, as a thin use case: read through the store, let <see cref="HealDecision"/> decide, carry
/// out what it says (keep a copy, replace), report. A heal never waits: a torn read ends it with
/// <see cref="HealStatus.Torn"/> and <see cref="HealReport.SettleIn"/>, and whoever runs heals looks again at the file's
/// next change or then. The decision's memory lives here between heals; not thread-safe by design: heals are serialized.
/// </summary>
internal sealed class Healer
{
    /// <summary>How often a heal re-reads after losing a race with another writer before giving up for now.</summary>
    internal const int MaxConflictRounds = 5;

    private readonly SettingsFileStore _store;
    private readonly HealRules _rules;
    private readonly TimeProvider _time;
    private readonly ILogger<Healer> _log;
    private readonly GuardianMetrics _metrics;
    private readonly int _keepQuarantined;
    private (byte[] Digest, string Path)? _keptThisHeal;
    private readonly long _origin;
    private HealMemory _memory = HealMemory.Empty;

    public Healer(SettingsFileStore store, HealRules rules, int keepQuarantined, TimeProvider time, ILogger<Healer> log, GuardianMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _rules = rules;
        _keepQuarantined = keepQuarantined;
        _time = time;
        _log = log;
        _metrics = metrics;
        _origin = time.GetTimestamp();
    }

    /// <summary>
    /// One heal. With <paramref name="dryRun"/>, reports what it would change and touches nothing. Returns
    /// <see cref="HealStatus.Torn"/> at once for an empty, unparseable or just-deleted file that has not yet stayed
    /// that way, unchanged, for the settle delay.
    /// </summary>
    public HealReport Heal(HealTrigger trigger, bool dryRun = false)
    {
        var started = _time.GetTimestamp();
        HealReport report;
        try
        {
            report = HealRounds(dryRun);
        }
        catch (PosixException ex)
        {
            report = HealReport.Of(HealStatus.Failed, ex.Message);
            Log.IoFailed(_log, ex.Operation, ex.Path, ex.ErrnoName, ex.Message, PosixHints.For(ex, _store.Privilege));
        }
#pragma warning disable CA1031 // Any heal that ends in an exception is a failed heal: counted, logged, and retried like one.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            report = HealReport.Of(HealStatus.Failed, ex.Message);
            Log.HealLoopFailed(_log, ex, trigger);
        }

        var elapsed = _time.GetElapsedTime(started);
        _metrics.Record(report, elapsed, dryRun);
        LogOutcome(trigger, report, elapsed, dryRun);
        return report;
    }

    /// <summary>
    /// For one-shot commands, which have no watcher to say when the file changes: heals, and while the file is torn,
    /// looks again after the settle delay.
    /// </summary>
    public async Task<HealReport> HealAsync(HealTrigger trigger, bool dryRun, CancellationToken cancellationToken)
    {
        var report = Heal(trigger, dryRun);
        while (report.Status == HealStatus.Torn)
        {
            // Stryker disable once Boolean : ConfigureAwait(true) is the same here: the guardian has no synchronization context
            await Task.Delay(report.SettleIn!.Value, _time, cancellationToken).ConfigureAwait(false);
            report = Heal(trigger, dryRun);
        }

        return report;
    }

    /// <summary>Heals from a fresh read until a round does not lose the race to another writer; the report says how many did.</summary>
    private HealReport HealRounds(bool dryRun)
    {
        var seen = ConflictCause.None;
        _keptThisHeal = null;
        for (var round = 1; round <= MaxConflictRounds; round++)
        {
            using var read = _store.Read();
            var plan = HealDecision.Decide(Observe(read), _memory, _rules);
            Report(plan);

            // What the decision learned and said holds whether or not its write lands; the write's own part is added below.
            _memory = plan.Memory;
            if (Carry(plan, read, dryRun, out seen) is { } report)
            {
                return report with { Conflicts = round - 1, LeftOut = plan.LeftOut };
            }

            _metrics.Conflict();
            Log.WriteConflict(_log, round, seen.Describe());
        }

        return HealReport.Of(HealStatus.Conflict, $"the file kept changing under the heal; the last round saw that {seen.Describe()}") with { Conflicts = MaxConflictRounds };
    }

    /// <summary>What the read found, as data for the decision, on the healer's own monotonic clock.</summary>
    private Observation Observe(SettingsRead read)
    {
        var at = _time.GetElapsedTime(_origin);
        var version = read.Stat is { } s ? new FileVersion(s.Device, s.Inode, s.Size, s.MtimeNs, s.CtimeNs) : (FileVersion?)null;
        return read.Status switch
        {
            ReadStatus.Present => new Observation(SeenKind.File, read.Bytes, version, at),
            ReadStatus.Absent => new Observation(SeenKind.NoFile, default, null, at),
            ReadStatus.DirectoryMissing => new Observation(SeenKind.NoDirectory, default, null, at),
            _ => new Observation(SeenKind.Refused, default, version, at, read.Reason),
        };
    }

    /// <summary>
    /// Carries the plan out: the report, or null when another writer changed the file between the read and the
    /// replace (<paramref name="conflict"/> then says what the replace saw).
    /// </summary>
    private HealReport? Carry(HealPlan plan, SettingsRead read, bool dryRun, out ConflictCause conflict)
    {
        conflict = ConflictCause.None;
        switch (plan.Kind)
        {
            case PlanKind.NoDirectory:
                return HealReport.Of(HealStatus.DirectoryMissing);
            case PlanKind.Refuse:
                if (plan.FirstSeen)
                {
                    Log.Refused(_log, _store.SettingsPath, plan.Reason);
                }

                return HealReport.Of(HealStatus.Refused, plan.Reason);
            case PlanKind.Wait:
                if (plan.FirstSeen)
                {
                    Log.TornRead(_log, plan.Reason, read.Bytes.Length, plan.SettleIn.TotalMilliseconds);
                }

                return new HealReport(HealStatus.Torn, [], SettleIn: plan.SettleIn);
            case PlanKind.NoChange:
                return HealReport.Of(HealStatus.NoChange);
        }

        if (_store.OwnerRefusal(read) is { } notOurs)
        {
            return HealReport.Of(HealStatus.Refused, notOurs);
        }

        if (dryRun)
        {
            return new HealReport(HealStatus.Healed, plan.Changes, Bytes: plan.Content.Length);
        }

        string? quarantined = null;
        if (plan.Copy != KeepCopy.None)
        {
            // A round that lost the race reads again; the same bytes need no second copy (one event per thing kept).
            var digest = XxHash128.Hash(read.Bytes);
            if (_keptThisHeal is { } kept && kept.Digest.AsSpan().SequenceEqual(digest))
            {
                quarantined = kept.Path;
            }
            else
            {
                quarantined = _store.Quarantine(read, plan.Copy == KeepCopy.Corrupt ? QuarantineKind.Corrupt : QuarantineKind.Replaced, _keepQuarantined);
                _keptThisHeal = (digest, quarantined);
                Log.Quarantined(_log, quarantined, plan.Reason, read.Bytes.Length);
            }
        }

        var replaced = _store.Replace(read, plan.Content);
        if (replaced.Outcome == ReplaceOutcome.Replaced)
        {
            _memory = plan.Memory.Wrote();
            return new HealReport(HealStatus.Healed, plan.Changes, quarantined, Bytes: plan.Content.Length, AbsentFor: AbsentSince(read, replaced.RenamedAt));
        }

        // A Conflict: null, to read and heal again. A Refused replace is reported, though it cannot come back here today.
        // Stryker disable once Block : OwnerRefusal, asked above before the quarantine, is the replace's only reason to refuse
        if (replaced.Outcome == ReplaceOutcome.Refused)
        {
            return HealReport.Of(HealStatus.Refused, replaced.Reason);
        }

        conflict = replaced.Cause;
        return null;
    }

    /// <summary>What the decision found about the protected entries: each said once (the decision's memory sees to that).</summary>
    private void Report(HealPlan plan)
    {
        foreach (var notice in plan.Notices)
        {
            switch (notice.Kind)
            {
                case NoticeKind.Impostor:
                    _metrics.Impostor(notice.Server);
                    Log.ImpostorEntry(_log, notice.Server, notice.Detail, _store.SettingsPath,
                        notice.Replaced ? "it is replaced" : _rules.Policy == DriftPolicy.Keep ? "it is kept (DriftPolicy=Keep)" : "nothing runnable can replace it");
                    break;
                case NoticeKind.NotRestorable:
                    Log.EntryNotRestorable(_log, notice.Server, _store.SettingsPath, notice.Detail);
                    break;
                default:
                    Log.EntryRemembered(_log, notice.Server, notice.Detail, _store.SettingsPath);
                    break;
            }
        }
    }

    private void LogOutcome(HealTrigger trigger, HealReport report, TimeSpan elapsed, bool dryRun)
    {
        if (report.Status == HealStatus.Healed)
        {
            var changes = string.Join(",", report.Changes);
            if (dryRun)
            {
                Log.WouldHeal(_log, trigger, changes, _store.SettingsPath);
            }
            else if (report.AbsentFor is { } absent)
            {
                Log.Healed(_log, trigger, changes, elapsed.TotalMilliseconds, absent.TotalMilliseconds, report.Bytes, _store.SettingsPath);
            }
            else
            {
                Log.HealedWithoutAbsence(_log, trigger, changes, elapsed.TotalMilliseconds, report.Bytes, _store.SettingsPath);
            }
        }
        else if (report.Status == HealStatus.NoChange)
        {
            Log.AlreadyHealthy(_log, trigger, elapsed.TotalMilliseconds);
        }
    }

    /// <summary>
    /// From the replaced file's last modification (the write that evicted the entry) to our rename. The kernel stamps
    /// mtime from a coarse clock (a scheduler tick, up to 4 ms early at HZ=250), so this errs long, never short.
    /// </summary>
    private static TimeSpan? AbsentSince(SettingsRead replaced, DateTimeOffset? renamedAt)
    {
        if (replaced.Stat is not { } stat || renamedAt is not { } renamed)
        {
            return null;
        }

        var modified = DateTimeOffset.UnixEpoch.AddTicks(stat.MtimeNs / 100);
        return TimeSpan.FromTicks(Math.Max(0, (renamed - modified).Ticks));
    }
}
