using System.Diagnostics.Metrics;
using MoleculeGuardian.Healing;

namespace MoleculeGuardian.Logging;

/// <summary>The <c>MoleculeGuardian</c> meter, readable with <c>dotnet-counters monitor -n molecule-guardian --counters MoleculeGuardian</c>.</summary>
public sealed class GuardianMetrics : IDisposable
{
    public const string MeterName = "MoleculeGuardian";

    private readonly Meter _meter;
    private readonly Counter<long> _heals;
    private readonly Counter<long> _changes;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _absent;

    public GuardianMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _heals = _meter.CreateCounter<long>("guardian.heals", "{heal}", "Heals run, by outcome");
        _changes = _meter.CreateCounter<long>("guardian.changes", "{change}", "Changes written, by kind");
        _conflicts = _meter.CreateCounter<long>("guardian.write_conflicts", "{conflict}", "Replaces abandoned because another writer changed the file");
        _errors = _meter.CreateCounter<long>("guardian.errors", "{error}", "Heals that failed or were refused");
        _duration = _meter.CreateHistogram<double>("guardian.heal.duration", "ms", "Time a heal took");
        _absent = _meter.CreateHistogram<double>("guardian.entry.absent", "ms",
            "How long a protected entry was out of the file before a heal put it back (from the evicting write's modification time to the heal's rename)");
    }

    public void Record(HealReport report, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(report);
        var outcome = new KeyValuePair<string, object?>("outcome", report.Status.ToString());
        _heals.Add(1, outcome);
        _duration.Record(elapsed.TotalMilliseconds, outcome);
        if (report.Status is HealStatus.Failed or HealStatus.Refused or HealStatus.Conflict)
        {
            _errors.Add(1, outcome);
        }

        if (report.AbsentFor is { } absent)
        {
            _absent.Record(absent.TotalMilliseconds);
        }

        foreach (var change in report.Changes)
        {
            _changes.Add(1, new KeyValuePair<string, object?>("kind", change.Kind.ToString()));
        }
    }

    public void Conflict() => _conflicts.Add(1);

    public void Dispose() => _meter.Dispose();
}
