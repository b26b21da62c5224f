using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;
using MoleculeGuardian.Logging;

namespace MoleculeGuardian.Hosting;

/// <summary>
/// One heal, start to end: read, judge a torn write, transform, keep a copy of anything dropped, replace. A heal
/// never waits: a torn read ends it with <see cref="HealStatus.Torn"/> and <see cref="HealReport.SettleIn"/>, and the
/// caller looks again at the file's next change or then. Everything a heal found is in the report it returns. Not
/// thread-safe by design: the caller serializes heals, and the <see cref="SettleJudge"/> keeps the last bad read from
/// one heal to the next.
/// </summary>
internal sealed class Healer
{
    /// <summary>How often a heal re-reads after losing a race with another writer before giving up for now.</summary>
    internal const int MaxConflictRounds = 5;

    private readonly SettingsFileStore _store;
    private readonly GuardianOptions _options;
    private readonly IReadOnlyList<ProtectedServer> _servers;
    private readonly TimeProvider _time;
    private readonly ILogger<Healer> _log;
    private readonly GuardianMetrics _metrics;
    private readonly SettleJudge _settle;

    public Healer(SettingsFileStore store, IOptions<GuardianOptions> options, TimeProvider time, ILogger<Healer> log, GuardianMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value;
        _servers = ProtectedServerSpecs.FromOptions(_options);
        _time = time;
        _log = log;
        _metrics = metrics;
        _settle = new SettleJudge(_options.SettleDelay, time);
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
            report = HealCore(dryRun);
        }
        catch (PosixException ex)
        {
            report = HealReport.Of(HealStatus.Failed, ex.Message);
            Log.IoFailed(_log, ex.Operation, ex.Path, ex.ErrnoName, ex.Message, Hint(ex));
        }
#pragma warning disable CA1031 // Any heal that ends in an exception is a failed heal: counted, logged, and retried like one.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            report = HealReport.Of(HealStatus.Failed, ex.Message);
            Log.HealLoopFailed(_log, ex, trigger);
        }

        if (report.Status != HealStatus.Torn)
        {
            _settle.Clear();
        }

        var elapsed = _time.GetElapsedTime(started);
        _metrics.Record(report, elapsed, dryRun);
        if (report.Status == HealStatus.Healed)
        {
            var changes = string.Join(",", report.Changes);
            if (dryRun)
            {
                Log.WouldHeal(_log, trigger, changes, _store.SettingsPath);
            }
            else
            {
                Log.Healed(_log, trigger, changes, elapsed.TotalMilliseconds, report.AbsentFor?.TotalMilliseconds, report.Bytes, _store.SettingsPath);
            }
        }
        else if (report.Status == HealStatus.NoChange)
        {
            Log.AlreadyHealthy(_log, trigger, elapsed.TotalMilliseconds);
        }

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
    private HealReport HealCore(bool dryRun)
    {
        for (var round = 1; round <= MaxConflictRounds; round++)
        {
            using var read = _store.Read();
            if (HealFrom(read, dryRun) is { } report)
            {
                return report with { Conflicts = round - 1 };
            }

            _metrics.Conflict();
            Log.WriteConflict(_log, round);
        }

        return HealReport.Of(HealStatus.Conflict, "the file kept changing under the heal") with { Conflicts = MaxConflictRounds };
    }

    /// <summary>One round: the report, or null when another writer changed the file between the read and the replace.</summary>
    private HealReport? HealFrom(SettingsRead read, bool dryRun)
    {
        switch (read.Status)
        {
            case ReadStatus.DirectoryMissing:
                return HealReport.Of(HealStatus.DirectoryMissing);
            case ReadStatus.Refused:
                return HealReport.Of(HealStatus.Refused, read.Reason);
        }

        var wasThere = _settle.WasThere(read.Status);
        JsonNode? document = null;
        string? corrupt = null;
        // Stryker disable once Boolean : read only for a file that was present, and TryParse always sets it then
        var duplicateKeys = false;
        if (read.Status == ReadStatus.Present && !SettingsJson.TryParse(read.Bytes, out document, out var problem, out duplicateKeys))
        {
            if (Settle(read, problem) is { } torn)
            {
                return torn;
            }

            corrupt = problem;
        }
        else if (read.Status == ReadStatus.Absent && wasThere && Settle(read, "missing") is { } gone)
        {
            return gone;
        }

        var result = HealTransform.HealInPlace(document, _servers, _options.DriftPolicy);
        if (!result.Changed)
        {
            return HealReport.Of(HealStatus.NoChange);
        }

        // The transform only sees "no usable root"; the healer knows whether there was no file or a corrupt one.
        HealChangeKind? rootKind = read.Status == ReadStatus.Absent ? HealChangeKind.CreatedFile
            : corrupt is not null ? HealChangeKind.RepairedCorruptFile : null;
        var changes = rootKind is { } kindOfRoot
            ? [new HealChange(kindOfRoot), .. result.Changes.Where(c => c.Kind != HealChangeKind.RepairedRoot)]
            : result.Changes;
        var content = SettingsJson.Serialize(result.Document);
        if (_store.OwnerRefusal(read) is { } notOurs)
        {
            return HealReport.Of(HealStatus.Refused, notOurs);
        }

        if (dryRun)
        {
            return new HealReport(HealStatus.Healed, changes, Bytes: content.Length);
        }

        string? quarantined = null;
        if (read.Status == ReadStatus.Present && (corrupt is not null || duplicateKeys || result.Changes.Any(c => c.DropsContent)))
        {
            var kind = corrupt is not null || result.Changes.Any(c => c.Kind is HealChangeKind.RepairedRoot or HealChangeKind.RepairedMcpServers)
                ? QuarantineKind.Corrupt : QuarantineKind.Replaced;
            quarantined = _store.Quarantine(read, kind, _options.KeepQuarantined);
            Log.Quarantined(_log, quarantined, corrupt ?? ShapeReason(result.Changes), read.Bytes.Length);
        }

        var replaced = _store.Replace(read, content);
        if (replaced.Outcome == ReplaceOutcome.Replaced)
        {
            _settle.Wrote();
            return new HealReport(HealStatus.Healed, changes, quarantined, Bytes: content.Length, AbsentFor: AbsentSince(read, replaced.RenamedAt));
        }

        // A Conflict: null, to read and heal again. A Refused replace is reported, though it cannot come back here today.
        // Stryker disable once Block : OwnerRefusal, asked above before the quarantine, is the replace's only reason to refuse
        if (replaced.Outcome == ReplaceOutcome.Refused)
        {
            return HealReport.Of(HealStatus.Refused, replaced.Reason);
        }

        return null;
    }

    /// <summary>The judge's verdict on a bad read: null to repair now, or the Torn report that ends this heal.</summary>
    private HealReport? Settle(SettingsRead read, string problem)
    {
        var verdict = _settle.Judge(read);
        if (verdict.Repair)
        {
            return null;
        }

        if (verdict.FirstSeen)
        {
            Log.TornRead(_log, problem, read.Bytes.Length, verdict.SettleIn.TotalMilliseconds);
        }

        return new HealReport(HealStatus.Torn, [], SettleIn: verdict.SettleIn);
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

    /// <summary>Why bytes were dropped, when the file parsed: a quarantine without such a change is the repeated-keys case.</summary>
    private static string ShapeReason(IReadOnlyList<HealChange> changes) =>
        // Stryker disable once Linq : a root repair is the only change the transform reports then, so Any and All agree
        changes.Any(c => c.Kind == HealChangeKind.RepairedRoot) ? "the root is not a JSON object"
        : changes.Any(c => c.Kind == HealChangeKind.RepairedMcpServers) ? "mcpServers is not a JSON object"
        : changes.Any(c => c.Kind == HealChangeKind.ReplacedDrift) ? "a drifted protected entry was replaced"
        : "the file repeats keys; like the runtime, only the last value of each is kept";

    private string Hint(PosixException ex) => ex.ErrorNumber switch
    {
        Errno.EBUSY or Errno.EXDEV =>
            "settings.json looks like a single-file bind mount, which cannot be replaced by rename; mount its directory instead",
        Errno.EROFS => "the file system is read-only; make the settings directory writable",
        Errno.EACCES or Errno.EPERM => _store.Privilege.AccessHint(ex),
        Errno.ENOSPC or Errno.EDQUOT => "free space on the settings volume",
        _ => "will retry",
    };
}
