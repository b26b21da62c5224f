using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MoleculeGuardian.Hosting;

/// <summary>
/// What an executable adds to <c>run</c> to export metrics: <c>molecule-guardian-otel</c> passes its OTLP registration;
/// <c>molecule-guardian</c> passes none, and says so when an endpoint is set. The core decides only whether export
/// is asked for, by the standard <c>OTEL_</c> variables.
/// </summary>
internal delegate void MetricsExporter(IServiceCollection services, IConfiguration configuration);

/// <summary>Whether the standard <c>OTEL_</c> variables ask for metrics export.</summary>
internal static class MetricsExportRequest
{
    public const string ExporterBinaryName = "molecule-guardian-otel";
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string MetricsEndpointVariable = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";

    /// <summary>
    /// True when an OTLP endpoint is set (<c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>),
    /// unless the standard switches turn it off (<c>OTEL_SDK_DISABLED=true</c>, <c>OTEL_METRICS_EXPORTER=none</c>).
    /// The SDK's own default endpoint (localhost:4318) never turns export on by itself.
    /// </summary>
    public static bool IsRequested(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.Equals(configuration["OTEL_SDK_DISABLED"]?.Trim(), "true", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(configuration["OTEL_METRICS_EXPORTER"]?.Trim(), "none", StringComparison.OrdinalIgnoreCase)
            && (!string.IsNullOrWhiteSpace(configuration[MetricsEndpointVariable]) || !string.IsNullOrWhiteSpace(configuration[EndpointVariable]));
    }
}
