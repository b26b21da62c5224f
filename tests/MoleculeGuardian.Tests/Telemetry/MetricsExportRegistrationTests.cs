using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Telemetry;
using MoleculeGuardian.Tests.Support;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace MoleculeGuardian.Tests.Telemetry;

/// <summary>When OpenTelemetry is wired at all: only for <c>run</c>, only with an endpoint, never against the standard off switches.</summary>
public sealed class MetricsExportRegistrationTests
{
    [Theory]
    [InlineData(null, null, null, null, false)]
    [InlineData("http://collector:4318", null, null, null, true)]
    [InlineData(null, "http://collector:4318/v1/metrics", null, null, true)]
    [InlineData("  ", null, null, null, false)]
    [InlineData("http://collector:4318", null, "true", null, false)]
    [InlineData("http://collector:4318", null, "false", null, true)]
    [InlineData("http://collector:4318", null, null, "none", false)]
    [InlineData("http://collector:4318", null, null, "otlp", true)]
    public void IsRequested_EndpointAndSwitches_DecideExport(string? endpoint, string? metricsEndpoint, string? sdkDisabled, string? exporter, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = metricsEndpoint,
            ["OTEL_SDK_DISABLED"] = sdkDisabled,
            ["OTEL_METRICS_EXPORTER"] = exporter,
        }).Build();

        Assert.Equal(expected, MetricsExportRequest.IsRequested(configuration));
    }

    [Fact]
    public void ApplyMetricsVariables_MetricsVariablesSet_TakePrecedenceOverTheSdkDefaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = "http://collector:4318/custom/metrics",
            ["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"] = "grpc",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_METRICS_HEADERS"] = "authorization=Bearer x",
            ["OTEL_EXPORTER_OTLP_METRICS_TIMEOUT"] = "1234",
            ["OTEL_EXPORTER_OTLP_METRICS_COMPRESSION"] = "gzip",
        }).Build();
        var options = new OtlpExporterOptions();

        MetricsExport.ApplyMetricsVariables(configuration, options);

        Assert.Equal(new Uri("http://collector:4318/custom/metrics"), options.Endpoint);
        Assert.Equal(OtlpExportProtocol.Grpc, options.Protocol);
        Assert.Equal("authorization=Bearer x", options.Headers);
        Assert.Equal(1234, options.TimeoutMilliseconds);
        Assert.Equal(OtlpExportCompression.GZip, options.Compression);
    }

    [Fact]
    public void ApplyMetricsVariables_NoProtocolSet_HttpProtobuf()
    {
        var options = new OtlpExporterOptions { Protocol = OtlpExportProtocol.Grpc };

        MetricsExport.ApplyMetricsVariables(new ConfigurationBuilder().Build(), options);

        Assert.Equal(OtlpExportProtocol.HttpProtobuf, options.Protocol);
    }

    [Theory]
    [InlineData(true, "http://127.0.0.1:9", true)]
    [InlineData(true, null, false)]
    [InlineData(false, "http://127.0.0.1:9", false)]
    public void Build_ExporterAndEndpoint_RegisterOpenTelemetryOnlyWithAnExporterAndAnEndpoint(bool exporter, string? endpoint, bool registered)
    {
        using var temp = new TempDirectory();
        var configuration = GuardianHost.BuildConfiguration([], new Dictionary<string, string?>
        {
            ["Guardian:SettingsPath"] = temp.SettingsPath(),
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
        });
        using var host = GuardianHost.Build(configuration, new TestLog(), metricsExporter: exporter ? MetricsExport.Register : null);

        var services = host.Services.GetRequiredService<IServiceProviderIsService>();
        Assert.Equal(registered, services.IsService(typeof(MeterProvider)));
        Assert.Equal(registered, host.Services.GetServices<IHostedService>().Any(s => s.GetType().Namespace?.StartsWith("OpenTelemetry", StringComparison.Ordinal) == true));
    }
}
