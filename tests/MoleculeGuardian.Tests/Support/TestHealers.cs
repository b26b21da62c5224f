using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Logging;

namespace MoleculeGuardian.Tests.Support;

/// <summary>Builds the real <see cref="Healer"/> and <see cref="SettingsFileStore"/> for a settings path, no host needed.</summary>
internal static class TestHealers
{
    /// <summary>Every command resolves: the baked image's world, where <c>molecule-platform-mcp</c> is on PATH.</summary>
    public static readonly CommandCheck Baked = _ => null;

    public static GuardianOptions Options(string settingsPath, Action<GuardianOptions>? configure = null)
    {
        var options = new GuardianOptions { SettingsPath = settingsPath, SettleDelay = TimeSpan.FromMilliseconds(20) };
        GuardianServiceCollectionExtensions.BindGuardian(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), options);
        configure?.Invoke(options);
        return options;
    }

    public static HealRules Rules(GuardianOptions options, CommandCheck? check = null, Func<string, string?>? variable = null)
    {
        var resolve = check ?? Baked;
        return new HealRules(ProtectedServerSpecs.FromOptions(options, variable ?? (_ => null)), options.DriftPolicy, options.SettleDelay, options.MaxFileBytes,
            command => resolve(command));
    }

    /// <summary>
    /// The store, acting as <paramref name="identity"/> as it is (an identity that records switches instead of making
    /// them: a test process stays who it is), with that identity's walk policy; the identity step has its own tests.
    /// </summary>
    public static SettingsFileStore Store(GuardianOptions options, IFileSystemCalls? fs = null, TimeProvider? time = null, IProcessIdentity? identity = null,
        Privilege? privilege = null)
    {
        fs ??= LinuxFileSystemCalls.Instance;
        return new(options.SettingsPath, options.MaxFileBytes, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            fs, time ?? TimeProvider.System, privilege ?? Privilege.AsIs(identity ?? new RecordingIdentity(), fs, Path.GetDirectoryName(options.SettingsPath)!));
    }

    /// <summary>
    /// The identity step for the directory of <paramref name="settingsPath"/>, unsettled, as production builds it, but
    /// on an identity that only records the switches it is asked for.
    /// </summary>
    public static Privilege IdentityStep(string settingsPath, IProcessIdentity? identity = null, IFileSystemCalls? fs = null) =>
        new(identity ?? new RecordingIdentity(), fs ?? LinuxFileSystemCalls.Instance, Path.GetDirectoryName(settingsPath)!);

    public static Healer Healer(GuardianOptions options, IFileSystemCalls? fs = null, TimeProvider? time = null, ILogger<Healer>? log = null,
        IMeterFactory? meters = null, CommandCheck? check = null)
    {
        time ??= TimeProvider.System;
        return new Healer(Store(options, fs, time), Rules(options, check), options.KeepQuarantined, time,
            log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<Healer>.Instance, new GuardianMetrics(meters ?? new TestMeterFactory()));
    }

    /// <summary>Collects the measurements of <paramref name="instrumentName"/> from meters that <paramref name="scope"/> created (not other tests').</summary>
    public static MeterListener Listen(IMeterFactory scope, string instrumentName, ConcurrentQueue<long> into)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == instrumentName && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => into.Enqueue(value));
        listener.Start();
        return listener;
    }

    /// <summary>Creates meters scoped to itself, so a listener can tell this healer's measurements from other tests'.</summary>
    public sealed class TestMeterFactory : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options.Name, options.Version, options.Tags, scope: this);

        public void Dispose()
        {
        }
    }
}
