using System.Diagnostics.Metrics;
using MoleculeGuardian.Healing;

namespace MoleculeGuardian.Logging;

/// <summary>
/// The <c>MoleculeGuardian</c> meter, readable with <c>dotnet-counters monitor -n molecule-guardian --counters MoleculeGuardian</c>
/// and, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, exported over OTLP. Names, units and attributes follow
/// OpenTelemetry's naming guidelines: durations in seconds, counters in <c>{thing}</c> units, namespaced attributes
/// with snake_case values (README, "Exporting metrics").
/// </summary>
internal sealed class GuardianMetrics : IDisposable
{
    public const string MeterName = "MoleculeGuardian";

    /// <summary>
    /// 0.1 ms to 10 s. A heal takes a fraction of a millisecond and an eviction is out for a few; the SDK's default
    /// boundaries (0 to 10,000, made for milliseconds) would put every one of them in the first bucket.
    /// </summary>
    public static readonly IReadOnlyList<double> SecondsBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly Counter<long> _heals;
    private readonly Counter<long> _changes;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _fights;
    private readonly Counter<long> _impostors;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _absent;

    /// <summary>-1 until the first look; then 1 when that look found every protected entry in place, else 0.</summary>
    private int _compliant = -1;

    public GuardianMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        var buckets = new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets };
        _heals = _meter.CreateCounter<long>("guardian.heals", "{heal}", "Heals run, by outcome");
        _changes = _meter.CreateCounter<long>("guardian.changes", "{change}", "Changes written, by kind");
        _conflicts = _meter.CreateCounter<long>("guardian.write_conflicts", "{conflict}", "Replaces abandoned because another writer changed the file");
        _errors = _meter.CreateCounter<long>("guardian.errors", "{error}", "Heals that failed, were refused or lost every race, by outcome");
        _fights = _meter.CreateCounter<long>("guardian.fights", "{fight}",
            "Times FightingAnotherWriter was logged: more heals in a minute than Guardian:FightThresholdPerMinute");
        _impostors = _meter.CreateCounter<long>("guardian.impostors", "{entry}",
            "Entries of no accepted shape found under a protected name (each distinct one once), by server");
        _duration = _meter.CreateHistogram("guardian.heal.duration", "s", "Time a heal took", advice: buckets);
        _absent = _meter.CreateHistogram("guardian.entry.absent.duration", "s",
            "How long a protected entry was out of the file before a heal put it back (from the evicting write's modification time to the heal's rename)",
            advice: buckets);
        _meter.CreateObservableGauge("guardian.entry.compliant", ObserveCompliance, "1",
            "1 when the last look found every protected entry present and canonical (or put it back), 0 when not; nothing before the first look");
    }

    /// <summary>Records one heal. A dry run changes nothing, so it says nothing about whether the file complies.</summary>
    public void Record(HealReport report, TimeSpan elapsed, bool dryRun = false)
    {
        ArgumentNullException.ThrowIfNull(report);
        var outcome = new KeyValuePair<string, object?>("guardian.heal.outcome", Outcome(report.Status));
        _heals.Add(1, outcome);
        _duration.Record(elapsed.TotalSeconds, outcome);
        if (report.Status is HealStatus.Failed or HealStatus.Refused or HealStatus.Conflict)
        {
            _errors.Add(1, outcome);
        }

        if (!dryRun)
        {
            Volatile.Write(ref _compliant, report.Compliant ? 1 : 0);
        }

        if (report.AbsentFor is { } absent)
        {
            _absent.Record(absent.TotalSeconds);
        }

        foreach (var change in report.Changes)
        {
            _changes.Add(1, new KeyValuePair<string, object?>("guardian.change.kind", Kind(change.Kind)));
        }
    }

    public void Conflict() => _conflicts.Add(1);

    public void Fight() => _fights.Add(1);

    public void Impostor(string server) => _impostors.Add(1, new KeyValuePair<string, object?>("guardian.server", server));

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<int>> ObserveCompliance()
    {
        var compliant = Volatile.Read(ref _compliant);
        return compliant < 0 ? [] : [new Measurement<int>(compliant)];
    }

    /// <summary>Attribute values in snake_case, as OpenTelemetry's own enums are; fixed strings, so no allocation per heal.</summary>
    public static string Outcome(HealStatus status) => status switch
    {
        HealStatus.NoChange => "no_change",
        HealStatus.Healed => "healed",
        HealStatus.DirectoryMissing => "directory_missing",
        HealStatus.Refused => "refused",
        HealStatus.Conflict => "conflict",
        HealStatus.Failed => "failed",
        HealStatus.Torn => "torn",
        _ => "unknown",
    };

    public static string Kind(HealChangeKind kind) => kind switch
    {
        HealChangeKind.RepairedRoot => "repaired_root",
        HealChangeKind.RepairedMcpServers => "repaired_mcp_servers",
        HealChangeKind.CreatedMcpServers => "created_mcp_servers",
        HealChangeKind.AddedEntry => "added_entry",
        HealChangeKind.ReplacedImpostor => "replaced_impostor",
        HealChangeKind.CreatedFile => "created_file",
        HealChangeKind.RepairedCorruptFile => "repaired_corrupt_file",
        _ => "unknown",
    };
}
