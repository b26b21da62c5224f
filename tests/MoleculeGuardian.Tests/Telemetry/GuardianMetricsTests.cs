using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Logging;

namespace MoleculeGuardian.Tests.Telemetry;

/// <summary>The compliance gauge: what the last real look found; nothing before it; a dry run says nothing.</summary>
public sealed class GuardianMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly GuardianMetrics _metrics;
    private readonly MeterListener _listener = new();
    private readonly List<int> _observed = [];

    public GuardianMetricsTests()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        _metrics = new GuardianMetrics(factory);
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "guardian.entry.compliant" && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, _, _) => _observed.Add(value));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _metrics.Dispose();
        _services.Dispose();
    }

    [Fact]
    public void Compliance_BeforeTheFirstLook_ObservesNothing()
    {
        Assert.Null(Observe());
    }

    [Theory]
    [InlineData(HealStatus.NoChange, 1)]
    [InlineData(HealStatus.Healed, 1)]
    [InlineData(HealStatus.Torn, 0)]
    [InlineData(HealStatus.Conflict, 0)]
    [InlineData(HealStatus.Failed, 0)]
    [InlineData(HealStatus.Refused, 0)]
    [InlineData(HealStatus.DirectoryMissing, 0)]
    public void Compliance_AfterAHeal_IsWhatThatHealFound(object statusValue, int expected)
    {
        var status = (HealStatus)statusValue;
        _metrics.Record(HealReport.Of(status), TimeSpan.FromMilliseconds(1));

        Assert.Equal(expected, Observe());
    }

    [Fact]
    public void Compliance_DryRun_KeepsTheLastRealLook()
    {
        _metrics.Record(HealReport.Of(HealStatus.NoChange), TimeSpan.FromMilliseconds(1));
        _metrics.Record(new HealReport(HealStatus.Healed, [new HealChange(HealChangeKind.AddedEntry, "molecule-platform")]), TimeSpan.FromMilliseconds(1), dryRun: true);
        Assert.Equal(1, Observe());

        _metrics.Record(HealReport.Of(HealStatus.Torn), TimeSpan.FromMilliseconds(1));
        _metrics.Record(HealReport.Of(HealStatus.NoChange), TimeSpan.FromMilliseconds(1), dryRun: true);
        Assert.Equal(0, Observe());
    }

    private int? Observe()
    {
        _observed.Clear();
        _listener.RecordObservableInstruments();
        return _observed.Count == 0 ? null : _observed[^1];
    }
}
