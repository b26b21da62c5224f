using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Logging;

namespace MoleculeGuardian.Tests.Support;

/// <summary>Builds the real <see cref="Healer"/> and <see cref="SettingsFileStore"/> for a settings path, no host needed.</summary>
internal static class TestHealers
{
    public static GuardianOptions Options(string settingsPath, Action<GuardianOptions>? configure = null)
    {
        var options = new GuardianOptions { SettingsPath = settingsPath, SettleDelay = TimeSpan.FromMilliseconds(20) };
        GuardianServiceCollectionExtensions.BindGuardian(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), options);
        configure?.Invoke(options);
        return options;
    }

    /// <summary>The store, with an identity that records switches instead of making them: a test process stays who it is.</summary>
    public static SettingsFileStore Store(GuardianOptions options, IFileSystemCalls? fs = null, TimeProvider? time = null, IProcessIdentity? identity = null) =>
        new(options.SettingsPath, options.MaxFileBytes, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            fs ?? LinuxFileSystemCalls.Instance, time ?? TimeProvider.System, new Privilege(identity ?? new RecordingIdentity()));

    public static Healer Healer(GuardianOptions options, IFileSystemCalls? fs = null, TimeProvider? time = null, ILogger<Healer>? log = null,
        IMeterFactory? meters = null)
    {
        time ??= TimeProvider.System;
        return new Healer(Store(options, fs, time), Microsoft.Extensions.Options.Options.Create(options), time,
            log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<Healer>.Instance, new GuardianMetrics(meters ?? new TestMeterFactory()));
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
