using OpenTelemetry.Exporter;

namespace MoleculeGuardian.Telemetry;

/// <summary>
/// The exporter's HTTP pipeline with the <see cref="ExportWatch"/> in it: every request's outcome (a 2xx answer,
/// an error status, a refused connection, a timeout) is reported, then passed on unchanged, so the SDK still decides
/// what a failure means (by default: the batch is dropped, nothing is queued, the next export sends the cumulative
/// figures again).
/// </summary>
internal sealed class ExportWatchingHandler(ExportWatch watch) : DelegatingHandler(new SocketsHttpHandler())
{
    /// <summary>What the SDK's default factory builds, with this handler in front of the socket handler.</summary>
    public static HttpClient CreateClient(ExportWatch watch, OtlpExporterOptions options) =>
        new(new ExportWatchingHandler(watch))
        {
            Timeout = TimeSpan.FromMilliseconds(options.TimeoutMilliseconds),
            MaxResponseContentBufferSize = options.MaxResponseSizeBytes,
        };

    /// <summary>The OTLP/HTTP exporter sends synchronously from its reader thread.</summary>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var limit = watch.Limit(cancellationToken);
        try
        {
            return Observe(request, base.Send(request, limit.Token));
        }
        catch (Exception ex) when (Report(request, ex, cancellationToken))
        {
            throw; // Never reached: Report returns false, so the exception passes through untouched.
        }
    }

    /// <summary>gRPC (HTTP/2) sends asynchronously.</summary>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var limit = watch.Limit(cancellationToken);
        try
        {
            return Observe(request, await base.SendAsync(request, limit.Token).ConfigureAwait(false));
        }
        catch (Exception ex) when (Report(request, ex, cancellationToken))
        {
            throw;
        }
    }

    private HttpResponseMessage Observe(HttpRequestMessage request, HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
        {
            watch.Succeeded(request.RequestUri);
        }
        else
        {
            watch.Failed(request.RequestUri, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        return response;
    }

    private bool Report(HttpRequestMessage request, Exception ex, CancellationToken caller)
    {
        var error = ex switch
        {
            OperationCanceledException when caller.IsCancellationRequested => "no answer within OTEL_EXPORTER_OTLP_TIMEOUT",
            OperationCanceledException => "cut short: the guardian is stopping",
            HttpRequestException { InnerException: { } inner } http when !http.Message.Contains(inner.Message, StringComparison.Ordinal) =>
                $"{http.Message} {inner.Message}",
            _ => ex.Message,
        };
        watch.Failed(request.RequestUri, error);
        return false;
    }
}
