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
/// One heal, start to end: read, wait out a torn write, transform, keep a copy of anything dropped, replace.
/// Not thread-safe by design: the service serializes heals through one loop.
/// </summary>
public sealed class Healer
{
    /// <summary>How often a heal re-reads after losing a race with another writer before giving up for now.</summary>
    internal const int MaxConflictRounds = 5;

    /// <summary>How many settle delays a file that keeps changing while unparseable is given.</summary>
    internal const int MaxSettleRounds = 10;

    private readonly SettingsFileStore _store;
    private readonly GuardianOptions _options;
    private readonly IReadOnlyList<ProtectedServer> _servers;
    private readonly TimeProvider _time;
    private readonly ILogger<Healer> _log;
    private readonly GuardianMetrics _metrics;

    public Healer(SettingsFileStore store, IOptions<GuardianOptions> options, TimeProvider time, ILogger<Healer> log, GuardianMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value;
        _servers = ProtectedServer.FromOptions(_options);
        _time = time;
        _log = log;
        _metrics = metrics;
    }

    public SettingsFileStore Store => _store;

    /// <summary>Heals the file. With <paramref name="dryRun"/>, reports what it would change and touches nothing.</summary>
    public async Task<HealReport> HealAsync(HealTrigger trigger, bool dryRun, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        HealReport report;
        try
        {
            report = await HealCoreAsync(dryRun, cancellationToken).ConfigureAwait(false);
        }
        catch (PosixException ex)
        {
            report = HealReport.Of(HealStatus.Failed, ex.Message);
            Log.IoFailed(_log, ex.Operation, ex.Path, ex.ErrnoName, ex.Message, Hint(ex));
        }

        var elapsed = _time.GetElapsedTime(started);
        _metrics.Record(report, elapsed);
        if (report.Status == HealStatus.Healed)
        {
            var changes = string.Join(",", report.Changes);
            if (dryRun)
            {
                Log.WouldHeal(_log, trigger, changes, _store.SettingsPath);
            }
            else
            {
                Log.Healed(_log, trigger, changes, elapsed.TotalMilliseconds, report.Bytes, _store.SettingsPath);
            }
        }
        else if (report.Status == HealStatus.NoChange)
        {
            Log.AlreadyHealthy(_log, trigger, elapsed.TotalMilliseconds);
        }

        return report;
    }

    private async Task<HealReport> HealCoreAsync(bool dryRun, CancellationToken cancellationToken)
    {
        for (var round = 0; round < MaxConflictRounds; round++)
        {
            var read = _store.Read();
            switch (read.Status)
            {
                case ReadStatus.DirectoryMissing:
                    return HealReport.Of(HealStatus.DirectoryMissing);
                case ReadStatus.Refused:
                    return HealReport.Of(HealStatus.Refused, read.Reason);
            }

            var (settled, document, corrupt, duplicateKeys) = await SettleAsync(read, cancellationToken).ConfigureAwait(false);
            if (settled.Status != ReadStatus.Present && settled.Status != ReadStatus.Absent)
            {
                // It turned into something else while we waited; start over.
                continue;
            }

            var result = HealTransform.HealInPlace(document, _servers, _options.DriftPolicy);
            if (!result.Changed)
            {
                return HealReport.Of(HealStatus.NoChange);
            }

            // The transform only sees "no usable root"; the healer knows whether there was no file or a corrupt one.
            HealChangeKind? rootKind = settled.Status == ReadStatus.Absent ? HealChangeKind.CreatedFile
                : corrupt is not null ? HealChangeKind.RepairedCorruptFile : null;
            var changes = rootKind is { } kindOfRoot
                ? [new HealChange(kindOfRoot), .. result.Changes.Where(c => c.Kind != HealChangeKind.RepairedRoot)]
                : result.Changes;
            var content = SettingsJson.Serialize(result.Document);
            if (dryRun)
            {
                return new HealReport(HealStatus.Healed, changes, Bytes: content.Length);
            }

            string? quarantined = null;
            if (settled.Status == ReadStatus.Present && (corrupt is not null || duplicateKeys || result.Changes.Any(c => c.DropsContent)))
            {
                var kind = corrupt is not null || result.Changes.Any(c => c.Kind is HealChangeKind.RepairedRoot or HealChangeKind.RepairedMcpServers)
                    ? "corrupt" : "replaced";
                quarantined = _store.Quarantine(settled.Bytes, kind, settled.Stat, _options.KeepQuarantined);
                Log.Quarantined(_log, quarantined, corrupt ?? ShapeReason(result.Changes, duplicateKeys), settled.Bytes.Length);
            }

            if (_store.Replace(settled, content) == ReplaceOutcome.Replaced)
            {
                return new HealReport(HealStatus.Healed, changes, quarantined, Bytes: content.Length);
            }

            _metrics.Conflict();
            Log.WriteConflict(_log, round + 1);
        }

        return HealReport.Of(HealStatus.Conflict, "the file kept changing under the heal");
    }

    /// <summary>
    /// An empty or unparseable file is first taken as a writer mid-write (the runtime truncates, then writes).
    /// It is corrupt only when it stays bad and unchanged for a whole settle delay.
    /// </summary>
    private async Task<(SettingsRead Read, JsonNode? Document, string? Corrupt, bool DuplicateKeys)> SettleAsync(SettingsRead read, CancellationToken cancellationToken)
    {
        for (var round = 0; ; round++)
        {
            if (read.Status != ReadStatus.Present)
            {
                return (read, null, null, false);
            }

            if (SettingsJson.TryParse(read.Bytes, out var document, out var error, out var duplicateKeys))
            {
                return (read, document, null, duplicateKeys);
            }

            if (round == MaxSettleRounds)
            {
                return (read, null, error, false);
            }

            Log.TornRead(_log, error, read.Bytes.Length, _options.SettleDelay.TotalMilliseconds);
            await Task.Delay(_options.SettleDelay, _time, cancellationToken).ConfigureAwait(false);
            var again = _store.Read();
            if (again.Status == ReadStatus.Present && again.Bytes.AsSpan().SequenceEqual(read.Bytes)
                && again.Stat!.Value.Fingerprint == read.Stat!.Value.Fingerprint)
            {
                return (again, null, error, false);
            }

            read = again;
        }
    }

    private static string ShapeReason(IReadOnlyList<HealChange> changes, bool duplicateKeys) =>
        changes.Any(c => c.Kind == HealChangeKind.RepairedRoot) ? "the root is not a JSON object"
        : changes.Any(c => c.Kind == HealChangeKind.RepairedMcpServers) ? "mcpServers is not a JSON object"
        : changes.Any(c => c.Kind == HealChangeKind.ReplacedDrift) ? "a drifted protected entry was replaced"
        : duplicateKeys ? "the file repeats keys; like the runtime, only the last value of each is kept"
        : "content was dropped";

    private static string Hint(PosixException ex) => ex.ErrorNumber switch
    {
        Errno.EBUSY or Errno.EXDEV =>
            "settings.json looks like a single-file bind mount, which cannot be replaced by rename; mount its directory instead",
        Errno.EROFS => "the file system is read-only; make the settings directory writable",
        Errno.EACCES or Errno.EPERM => "run the guardian as the settings file's owner (uid 1000) or root",
        Errno.ENOSPC or Errno.EDQUOT => "free space on the settings volume",
        _ => "will retry",
    };
}
