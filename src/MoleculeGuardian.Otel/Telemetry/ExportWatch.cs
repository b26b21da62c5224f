using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MoleculeGuardian.Logging;

namespace MoleculeGuardian.Telemetry;

/// <summary>
/// Turns the outcome of every export request into one warning per outage and one notice when it ends: a collector
/// that is down for an hour at a 60 s interval must not write sixty warnings. Also bounds the exports left once the
/// host stops, so that a hanging collector cannot hold the process.
/// </summary>
internal sealed class ExportWatch(TimeProvider time) : IDisposable
{
    /// <summary>
    /// How long exports may still run once the host stops (its ShutdownTimeout is 5 s): an absolute deadline for the
    /// export in flight and the final flush alike, so a hanging collector holds the exit by this much at most.
    /// </summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _shutdown = new();
    // Set once at start, before the first export; volatile so the reader thread sees it.
    private volatile ILogger _log = NullLogger.Instance;
    private int _failures;
    private long _outageStarted;

    public void Attach(ILogger log) => _log = log;

    public void BeginShutdown() => _shutdown.CancelAfter(ShutdownGrace);

    /// <summary>A token for one export request: the caller's, cut short once the grace after a stop has passed.</summary>
    public CancellationTokenSource Limit(CancellationToken cancellationToken) =>
        CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);

    public void Succeeded(Uri? endpoint)
    {
        lock (_gate)
        {
            if (_failures > 0)
            {
                Log.MetricsExportRecovered(_log, Redact(endpoint), _failures, time.GetElapsedTime(_outageStarted).TotalSeconds);
                _failures = 0;
            }
        }
    }

    public void Failed(Uri? endpoint, string error)
    {
        lock (_gate)
        {
            if (_failures++ == 0)
            {
                _outageStarted = time.GetTimestamp();
                Log.MetricsExportFailing(_log, Redact(endpoint), error);
            }
        }
    }

    public void Dispose() => _shutdown.Dispose();

    /// <summary>Scheme, host, port and path: never user info or a query, which could carry a credential.</summary>
    public static string Redact(Uri? endpoint) =>
        endpoint is null ? "" : endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);

    public static string Redact(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? Redact(uri) : "(not a URI)";
}
