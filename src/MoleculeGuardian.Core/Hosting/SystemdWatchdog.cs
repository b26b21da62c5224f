using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Hosting;

namespace MoleculeGuardian.Hosting;

/// <summary>
/// Sends WATCHDOG=1 at half the interval systemd asks for (WatchdogSec= sets WATCHDOG_USEC), but only while the
/// heal loop is responsive: a heal wedged for longer than the interval stops the pings and systemd restarts us.
/// </summary>
internal sealed class SystemdWatchdog(ISystemdNotifier? notifier, GuardianService guardian, TimeProvider time) : BackgroundService
{
    /// <summary>The watchdog interval systemd asked for, or null when it asked for none (or for another process).</summary>
    public static TimeSpan? Interval(string? usec, string? pid, int ownPid)
    {
        if (!long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds <= 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(pid) && pid != ownPid.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(microseconds);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"), Environment.ProcessId);
        if (notifier is not { IsEnabled: true } || interval is not { } limit)
        {
            return;
        }

        using var timer = new PeriodicTimer(limit / 2, time);
        try
        {
            do
            {
                if (guardian.IsResponsive(limit))
                {
                    notifier.Notify(new ServiceState("WATCHDOG=1"));
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
