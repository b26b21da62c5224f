using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Guarding;

/// <summary>
/// One <see cref="Healer"/> on a fake clock, a real temp directory and the fault-injecting seam, with its log captured:
/// what the Healer test classes share.
/// </summary>
public abstract class HealerTestBase : IDisposable
{
    private protected static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    protected HealerTestBase()
    {
        SettingsPath = Temp.SettingsPath();
        Healer = NewHealer();
    }

    private protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.Parse("2026-11-23T00:00:00Z", CultureInfo.InvariantCulture));

    private protected TempDirectory Temp { get; } = new();

    private protected TestLog Logs { get; } = new();

    private protected FaultyFileSystemCalls Fs { get; } = new();

    private protected string SettingsPath { get; }

    private protected Healer Healer { get; }

    public void Dispose()
    {
        Logs.Dispose();
        Temp.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected Healer NewHealer(IMeterFactory? meters = null, Action<GuardianOptions>? configure = null, CommandCheck? check = null) =>
        TestHealers.Healer(TestHealers.Options(SettingsPath, o =>
        {
            o.SettleDelay = Settle;
            configure?.Invoke(o);
        }), Fs, Clock, new Logger<Healer>(Logs), meters, check);
}
