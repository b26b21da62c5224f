using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace MoleculeGuardian.Telemetry;

/// <summary>
/// Opt-in export of the <c>MoleculeGuardian</c> meter over OTLP, configured by the standard <c>OTEL_*</c> variables
/// only. Nothing here is registered unless <see cref="MetricsExportRequest.IsRequested"/> says so, and only for <c>run</c>: without an
/// endpoint there is no exporter, no reader thread and no socket.
/// </summary>
internal static class MetricsExport
{
    public const string DefaultServiceName = "molecule-guardian";

    /// <summary>The <see cref="MetricsExporter"/> this binary passes to the core; the core calls it only for <c>run</c> with an endpoint set.</summary>
    public static void Register(IServiceCollection services, IConfiguration configuration) => services.AddMetricsExport(configuration);

    public static IServiceCollection AddMetricsExport(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // Owned by its hosted service, which the container disposes after the meter provider (resolved later): the
        // final flush still finds the watch in place. Registered before AddOpenTelemetry's own hosted service, so
        // the watch has its logger before the first export.
        var watch = new ExportWatch(TimeProvider.System);
        services.AddHostedService(sp => new MetricsExportLifetime(watch, sp.GetRequiredService<ILogger<ExportWatch>>(), Describe(configuration)));

        // A custom CA or client certificate is built into the SDK's own HttpClient; keep it rather than watch it.
        var tls = TlsVariables.Any(v => !string.IsNullOrWhiteSpace(configuration[v]));
        services.AddOpenTelemetry()
            // service.name and service.version first, then OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME over them.
            .ConfigureResource(resource => resource
                .AddService(DefaultServiceName, serviceVersion: Version, autoGenerateServiceInstanceId: true)
                .AddEnvironmentVariableDetector())
            .WithMetrics(metrics => metrics
                .AddMeter(GuardianMetrics.MeterName)
                .AddOtlpExporter((exporter, _) =>
                {
                    ApplyMetricsVariables(configuration, exporter);
                    if (!tls)
                    {
                        exporter.HttpClientFactory = () => ExportWatchingHandler.CreateClient(watch, exporter);
                    }
                }));
        return services;
    }

    public static string Version { get; } =
        typeof(MetricsExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>
    /// What the SDK's <c>AddOtlpExporter</c> leaves out: it reads only the <c>OTEL_EXPORTER_OTLP_*</c> variables for
    /// all signals (the metrics ones only under <c>UseOtlpExporter</c>, which would export logs and traces too). The
    /// specification gives the metrics ones precedence; a metrics endpoint is used as it is, no path appended. And
    /// the SDK's default protocol is gRPC, where the platform's collectors take http/protobuf unless a variable says so.
    /// </summary>
    internal static void ApplyMetricsVariables(IConfiguration configuration, OtlpExporterOptions exporter)
    {
        var protocol = FirstSet(configuration, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL");
        if (protocol is null || configuration["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"] is { Length: > 0 })
        {
            exporter.Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        }

        if (FirstSet(configuration, MetricsEndpointVariable) is { } endpoint && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            exporter.Endpoint = uri;
        }

        if (FirstSet(configuration, "OTEL_EXPORTER_OTLP_METRICS_HEADERS") is { } headers)
        {
            exporter.Headers = headers;
        }

        if (int.TryParse(configuration["OTEL_EXPORTER_OTLP_METRICS_TIMEOUT"], System.Globalization.CultureInfo.InvariantCulture, out var timeout) && timeout > 0)
        {
            exporter.TimeoutMilliseconds = timeout;
        }

        if (FirstSet(configuration, "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION") is { } compression)
        {
            exporter.Compression = compression == "gzip" ? OtlpExportCompression.GZip : OtlpExportCompression.None;
        }
    }

    private const string EndpointVariable = MetricsExportRequest.EndpointVariable;
    private const string MetricsEndpointVariable = MetricsExportRequest.MetricsEndpointVariable;

    private static readonly string[] TlsVariables =
    [
        "OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_KEY",
        "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY",
    ];

    /// <summary>What the start-up event says: where, how, how often, as whom (the SDK's defaults where unset).</summary>
    private static MetricsExportLifetime.Settings Describe(IConfiguration configuration)
    {
        var protocol = FirstSet(configuration, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL") ?? "http/protobuf";
        var endpoint = configuration[MetricsEndpointVariable] is { Length: > 0 } own ? own
            : configuration[EndpointVariable]!.TrimEnd('/') + (protocol == "grpc" ? "" : "/v1/metrics");
        var interval = double.TryParse(configuration["OTEL_METRIC_EXPORT_INTERVAL"], System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : 60_000;
        return new(ExportWatch.Redact(endpoint), protocol, interval, FirstSet(configuration, "OTEL_SERVICE_NAME") ?? DefaultServiceName);
    }

    private static string? FirstSet(IConfiguration configuration, params string[] names) =>
        names.Select(n => configuration[n]?.Trim()).FirstOrDefault(v => !string.IsNullOrEmpty(v));
}
