using Microsoft.Extensions.Configuration;
using MoleculeGuardian.Hosting;

namespace MoleculeGuardian.Tests.Hosting;

/// <summary>When `run` continues as the exporting build: only when export is wanted, this build cannot, and that one is there.</summary>
public sealed class ExportHandoverTests
{
    private const string Binary = "/opt/molecule-guardian/molecule-guardian";
    private const string Exporter = "/opt/molecule-guardian/molecule-guardian-otel";

    [Fact]
    public void Target_LeanBuildExportWantedExporterInstalled_IsTheExporterNextToIt() =>
        Assert.Equal(Exporter, ExportHandover.Target(canExport: false, requested: true, Binary, path => path == Exporter));

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(false, false, true)]
    [InlineData(false, true, false)]
    public void Target_ExportingBuildOrNotWantedOrNotInstalled_IsNull(bool canExport, bool requested, bool installed) =>
        Assert.Null(ExportHandover.Target(canExport, requested, Binary, path => installed && path == Exporter));

    [Fact]
    public void Target_NoProcessPath_IsNull() =>
        Assert.Null(ExportHandover.Target(canExport: false, requested: true, null, _ => true));

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", null, true)]
    [InlineData("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://collector:4318/v1/metrics", null, true)]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", " ", null, false)]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", "OTEL_SDK_DISABLED=TRUE", false)]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", "OTEL_METRICS_EXPORTER=none", false)]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", "OTEL_SDK_DISABLED=false", true)]
    [InlineData("OTEL_SERVICE_NAME", "x", null, false)]
    public void Requested_ByTheStandardVariables(string name, string value, string? other, bool expected)
    {
        var values = new Dictionary<string, string?> { [name] = value };
        if (other?.Split('=') is [var otherName, var otherValue])
        {
            values[otherName] = otherValue;
        }

        Assert.Equal(expected, ExportHandover.Requested(new ConfigurationBuilder().AddInMemoryCollection(values).Build()));
    }
}
