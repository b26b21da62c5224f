using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Hosting;

/// <summary>What an SRE sees of a running guardian: the fight warning and the metrics.</summary>
public sealed class GuardianObservabilityTests
{
    [Fact]
    public async Task AnotherWriterKeepsEvictingTheEntry_FightWarningLoggedOnce()
    {
        await using var guardian = new GuardianHostHarness();
        await guardian.StartAsync(settings: new() { ["Guardian:FightThresholdPerMinute"] = "2" });

        for (var round = 1; round <= 4; round++)
        {
            var before = guardian.Heals;
            SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(round));
            await guardian.WaitHealedAndQuietAsync(before);
        }

        Assert.Equal(1, guardian.Log.Count("\"Name\":\"FightingAnotherWriter\""));
    }

    [Fact]
    public async Task AnotherWriterKeepsEvictingTheEntry_FightCountedOnceOnTheMeter()
    {
        var fights = 0L;
        await using var guardian = new GuardianHostHarness();
        using var listener = new MeterListener();
        IMeterFactory? ours = null;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "guardian.fights" && ours is not null && ReferenceEquals(instrument.Meter.Scope, ours))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref fights, value));
        await guardian.StartAsync(settings: new() { ["Guardian:FightThresholdPerMinute"] = "2" }, services: s => s.AddSingleton<IMeterFactory>(sp =>
        {
            var factory = new ScopedMeterFactory();
            ours = factory;
            return factory;
        }));
        listener.Start();

        for (var round = 1; round <= 4; round++)
        {
            var before = guardian.Heals;
            SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected(round));
            await guardian.WaitHealedAndQuietAsync(before);
        }

        Assert.Equal(1, guardian.Log.Count("\"Name\":\"FightingAnotherWriter\""));
        Assert.Equal(1, Interlocked.Read(ref fights));
    }

    [Fact]
    public async Task Heals_AreCountedOnTheMoleculeGuardianMeter()
    {
        var measurements = new ConcurrentQueue<(string Instrument, long Value, string Tags)>();
        await using var guardian = new GuardianHostHarness();
        using var listener = new MeterListener();
        IMeterFactory? ours = null;
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Other tests' hosts publish on a meter of the same name: listen to this host's factory only.
            if (instrument.Meter.Name == GuardianMetrics.MeterName && ours is not null && ReferenceEquals(instrument.Meter.Scope, ours))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            measurements.Enqueue((instrument.Name, value, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        // Durations are in seconds; kept here in microseconds, as whole numbers.
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            measurements.Enqueue((instrument.Name, (long)(value * 1_000_000), string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));

        await guardian.StartAsync(services: s => s.AddSingleton<IMeterFactory>(sp =>
        {
            var factory = new ScopedMeterFactory();
            ours = factory;
            return factory;
        }));
        listener.Start();
        var before = guardian.Heals;
        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        await guardian.WaitHealedAndQuietAsync(before);

        Assert.Contains(measurements, m => m.Instrument == "guardian.heals" && m.Tags == "guardian.heal.outcome=healed");
        Assert.Contains(measurements, m => m.Instrument == "guardian.changes" && m.Tags == "guardian.change.kind=added_entry");
        Assert.Contains(measurements, m => m.Instrument == "guardian.heal.duration");

        // The SRE's view and the benchmark's view of one number: the Healed event and the histogram both carry it.
        var healed = guardian.Log.Lines.Last(l => l.Contains("\"Name\":\"Healed\"", StringComparison.Ordinal));
        var absentMs = System.Text.Json.JsonDocument.Parse(healed).RootElement.GetProperty("AbsentMs").GetDouble();
        Assert.InRange(absentMs, 0, 60_000);
        Assert.Contains(measurements, m => m.Instrument == "guardian.entry.absent.duration" && Math.Abs(m.Value - (long)(absentMs * 1000)) <= 1);
    }

    private sealed class ScopedMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
