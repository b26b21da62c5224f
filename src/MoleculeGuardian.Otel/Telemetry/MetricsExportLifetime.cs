using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Logging;

namespace MoleculeGuardian.Telemetry;

/// <summary>
/// Says at start that metrics are exported and where; at stop, starts the export's shutdown grace, so that a
/// collector that hangs cannot hold the final flush (and the process) beyond <see cref="ExportWatch.ShutdownGrace"/>.
/// </summary>
internal sealed class MetricsExportLifetime(ExportWatch watch, ILogger<ExportWatch> log, MetricsExportLifetime.Settings settings) : IHostedService, IDisposable
{
    internal sealed record Settings(string Endpoint, string Protocol, double IntervalMs, string ServiceName);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        watch.Attach(log);
        Log.MetricsExportEnabled(log, settings.Endpoint, settings.Protocol, settings.IntervalMs, settings.ServiceName);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        watch.BeginShutdown();
        return Task.CompletedTask;
    }

    public void Dispose() => watch.Dispose();
}
