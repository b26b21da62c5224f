using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Telemetry;

/// <summary>
/// The built binary exporting to a collector the test owns: what arrives is decoded with protobuf's wire reader and
/// compared with what the guardian logged. Then the collector misbehaves (refuses, hangs) and the heal must not care.
/// </summary>
public sealed class MetricsExportProcessTests : IDisposable
{
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(5);

    private static readonly string[] OtelVariables =
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_METRIC_EXPORT_INTERVAL", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SDK_DISABLED",
        "OTEL_METRICS_EXPORTER",
    ];

    private readonly TempDirectory _temp = new();
    private readonly string _settings;

    public MetricsExportProcessTests()
    {
        _settings = _temp.SettingsPath();
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected());
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_WithOtlpEndpoint_ExportsResourceHealsAbsentTimeAndCompliance()
    {
        using var collector = OtlpReceiver.Start();
        using var guardian = Start("run", new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint,
            ["OTEL_RESOURCE_ATTRIBUTES"] = "molecule.tenant=t-42,molecule.workspace=ws-7",
        });
        await HealedAsync(guardian, 1);
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected(2));
        await HealedAsync(guardian, 2);

        // The newest export matches the log: cumulative figures, so the last request holds them all.
        var healed = Events(guardian, "Healed");
        var absentSeconds = healed.Select(e => e.GetProperty("AbsentMs")).Where(a => a.ValueKind == JsonValueKind.Number).Select(a => a.GetDouble() / 1000).ToList();
        var export = await ExportAsync(collector, guardian, e => Count(e, "guardian.heals", "healed") == healed.Count
            && Histogram(e, "guardian.entry.absent.duration")?.Count == (ulong)absentSeconds.Count && Gauge(e) == 1);

        var request = collector.Requests[^1];
        Assert.Equal(("POST", "/v1/metrics", "application/x-protobuf"), (request.Method, request.Path, request.ContentType));
        Assert.Equal("molecule-guardian", export.Resource["service.name"]);
        Assert.Equal(typeof(GuardianMetrics).Assembly.GetName().Version!.ToString(3), export.Resource["service.version"].Split('+')[0]);
        Assert.True(Guid.TryParse(export.Resource["service.instance.id"], out _), export.Resource["service.instance.id"]);
        Assert.Equal(("t-42", "ws-7"), (export.Resource["molecule.tenant"], export.Resource["molecule.workspace"]));

        var heals = export.Find("guardian.heals")!;
        Assert.Equal(("sum", true, "{heal}"), (heals.Kind, heals.Monotonic, heals.Unit));
        var absent = export.Find("guardian.entry.absent.duration")!;
        Assert.Equal(("histogram", "s"), (absent.Kind, absent.Unit));
        Assert.Equal(GuardianMetrics.SecondsBuckets, absent.Points[0].Bounds);
        Assert.Equal(absentSeconds.Sum(), absent.Points[0].Sum, 9);
        Assert.Equal("s", export.Find("guardian.heal.duration")!.Unit);
        Assert.Equal("1", export.Find("guardian.entry.compliant")!.Unit);

        // The exporter's own thread and connection exist here, and not without an endpoint (the test below).
        Assert.Contains(ProcessInspection.ThreadNames(guardian.Id), n => n.StartsWith("OpenTelemetry", StringComparison.Ordinal));
        Assert.True(ProcessInspection.InetSockets(guardian.Id) > 0, ProcessInspection.Describe(guardian.Id));
        Assert.Single(Events(guardian, "MetricsExportEnabled"));

        // Something the guardian must not touch sits at the path now: not compliant as of that look.
        File.Delete(_settings);
        File.CreateSymbolicLink(_settings, _temp.Combine("elsewhere.json"));
        await ExportAsync(collector, guardian, e => Gauge(e) == 0 && Count(e, "guardian.heals", "refused") >= 1);

        guardian.Signal(Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Run_MetricsEndpointAndServiceName_UsedAsGiven()
    {
        using var collector = OtlpReceiver.Start();
        using var guardian = Start("run", new()
        {
            ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = $"{collector.Endpoint}/ingest/metrics",
            ["OTEL_SERVICE_NAME"] = "guardian-canary",
        });
        await HealedAsync(guardian, 1);

        var export = await ExportAsync(collector, guardian, e => Count(e, "guardian.heals", "healed") == 1);
        Assert.Equal("/ingest/metrics", collector.Requests[^1].Path);
        Assert.Equal("guardian-canary", export.Resource["service.name"]);
    }

    /// <summary>http/protobuf is only the default: the protocol variable still decides (gRPC opens with the HTTP/2 preface).</summary>
    [Fact]
    public async Task Run_ProtocolGrpc_SpeaksHttp2ToTheEndpoint()
    {
        using var collector = OtlpReceiver.Start();
        using var guardian = Start("run", new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        });

        await Eventually.TrueAsync(() => collector.Requests.Any(r => r.Method == "PRI" && r.Path == "*"), "the HTTP/2 connection preface",
            context: () => guardian.Output);
    }

    [Fact]
    public async Task Run_CollectorRefuses_HealsPromptlyWarnsOnceAndRecovers()
    {
        var port = OtlpReceiver.RefusingPort();
        using var guardian = Start("run", new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}" });
        await HealedAsync(guardian, 1);
        await Eventually.TrueAsync(() => Events(guardian, "MetricsExportFailing").Count == 1, "the outage warning", context: () => guardian.Output);

        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected(2));
        await HealedAsync(guardian, 2, Promptly);

        using var collector = OtlpReceiver.Start(port: port);
        await ExportAsync(collector, guardian, e => Count(e, "guardian.heals", "healed") == 2);
        await Eventually.TrueAsync(() => Events(guardian, "MetricsExportRecovered").Count == 1, "the recovery notice", context: () => guardian.Output);
        Assert.Single(Events(guardian, "MetricsExportFailing"));
        Assert.Contains("Connection refused", Events(guardian, "MetricsExportFailing")[0].GetProperty("Error").GetString(), StringComparison.Ordinal);
        Assert.True(Events(guardian, "MetricsExportRecovered")[0].GetProperty("FailedExports").GetInt32() >= 1);

        guardian.Signal(Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Run_CollectorHangs_HealsPromptlyAndWarnsOnceForManyTimeouts()
    {
        using var collector = OtlpReceiver.Start(hang: true);
        using var guardian = Start("run", new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint,
            ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "300",
        });
        await HealedAsync(guardian, 1);

        // Exports are sequential: a third request means the first two have timed out.
        await Eventually.TrueAsync(() => collector.Requests.Count >= 3, "three export attempts", context: () => guardian.Output);
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected(2));
        await HealedAsync(guardian, 2, Promptly);

        // The collector sees the third request when the exporter sends it; the timed-out first one is logged on the
        // exporter's own thread, which a busy machine may not have run yet.
        await Eventually.TrueAsync(() => Events(guardian, "MetricsExportFailing").Count > 0, "the outage's warning", context: () => guardian.Output);
        var warnings = Events(guardian, "MetricsExportFailing");
        Assert.Single(warnings);
        Assert.Contains("OTEL_EXPORTER_OTLP_TIMEOUT", warnings[0].GetProperty("Error").GetString(), StringComparison.Ordinal);
        Assert.Equal("Warning", warnings[0].GetProperty("@l").GetString());

        guardian.Signal(Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>
    /// At the default 10 s export timeout an export hangs past the host's 5 s shutdown timeout, and the SDK's own
    /// flush waits up to 5 s more; the export's shutdown grace (2 s) is what ends it.
    /// </summary>
    [Fact]
    public async Task Run_CollectorHangsAtSigterm_ExitsWithinTheShutdownGrace()
    {
        using var collector = OtlpReceiver.Start(hang: true);
        using var guardian = Start("run", new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint });
        await HealedAsync(guardian, 1);
        await Eventually.TrueAsync(() => collector.Requests.Count >= 1, "an export in flight", context: () => guardian.Output);

        var stopwatch = Stopwatch.StartNew();
        guardian.Signal(Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(4.5), $"exit took {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task Run_NoEndpoint_StartsNoExporterThreadAndOpensNoSocket()
    {
        // Every other OTEL_ variable set: none of them turns export on, only an endpoint does.
        using var guardian = Start("run", new()
        {
            ["OTEL_RESOURCE_ATTRIBUTES"] = "molecule.tenant=t-42",
            ["OTEL_SERVICE_NAME"] = "guardian-under-test",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        await HealedAsync(guardian, 1);
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected(2));
        await HealedAsync(guardian, 2);

        Assert.DoesNotContain(ProcessInspection.ThreadNames(guardian.Id), n => n.StartsWith("OpenTelemetry", StringComparison.Ordinal));
        Assert.Equal(0, ProcessInspection.InetSockets(guardian.Id));
        Assert.Empty(Events(guardian, "MetricsExportEnabled"));

        guardian.Signal(Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Run_LeanBinaryWithAnEndpoint_SaysWhichBinaryExportsOnceAndHealsWithoutASocket()
    {
        using var collector = OtlpReceiver.Start();
        using var guardian = Start("run", new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint }, ProcessRunner.GuardianBinary);
        await HealedAsync(guardian, 1);
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected(2));
        await HealedAsync(guardian, 2);

        var unavailable = Assert.Single(Events(guardian, "MetricsExportUnavailable"));
        Assert.Equal("molecule-guardian-otel", unavailable.GetProperty("Binary").GetString());
        Assert.Equal(0, ProcessInspection.InetSockets(guardian.Id));
        Assert.Empty(Events(guardian, "MetricsExportEnabled"));
        guardian.Signal(Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, collector.Connections + (collector.Pending ? 1 : 0));
    }

    [Theory]
    [InlineData("heal")]
    [InlineData("heal", "--dry-run")]
    [InlineData("check")]
    public async Task OneShot_WithOtlpEndpoint_NeverConnects(params string[] command)
    {
        using var collector = OtlpReceiver.Start();
        using var guardian = Start(command, new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint });
        await guardian.WaitForExitAsync(Eventually.DefaultTimeout);

        // A final flush would have connected before the exit; a connection not yet accepted is still pending.
        Assert.Equal(0, collector.Connections + (collector.Pending ? 1 : 0));
        Assert.DoesNotContain("MetricsExport", guardian.Output, StringComparison.Ordinal);
    }

    private ProcessRunner Start(string command, Dictionary<string, string?> otel, string? binary = null) => Start([command], otel, binary);

    /// <summary>Starts <paramref name="binary"/>, by default <c>molecule-guardian-otel</c>, on the test's settings file.</summary>
    private ProcessRunner Start(string[] command, Dictionary<string, string?> otel, string? binary = null)
    {
        var environment = new Dictionary<string, string?>(otel)
        {
            ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        };
        foreach (var name in OtelVariables)
        {
            environment.TryAdd(name, null); // whatever the machine has must not leak in
        }

        return ProcessRunner.Start(binary ?? ProcessRunner.OtelBinary, [.. command, $"--Guardian:SettingsPath={_settings}"], environment);
    }

    private async Task HealedAsync(ProcessRunner guardian, int heals, TimeSpan? timeout = null) =>
        await Eventually.TrueAsync(() => Events(guardian, "Healed").Count >= heals && SettingsFiles.Complies(_settings),
            $"heal {heals.ToString(CultureInfo.InvariantCulture)}", timeout, () => guardian.Output);

    private static List<JsonElement> Events(ProcessRunner guardian, string name) =>
        [.. guardian.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Contains($"\"Name\":\"{name}\"", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement)];

    /// <summary>Waits for an export that satisfies <paramref name="wanted"/>; returns it.</summary>
    private static async Task<OtlpMetricsDecoder.Export> ExportAsync(OtlpReceiver collector, ProcessRunner guardian, Func<OtlpMetricsDecoder.Export, bool> wanted)
    {
        OtlpMetricsDecoder.Export? found = null;
        await Eventually.TrueAsync(() => collector.Requests is { Count: > 0 } r && wanted(found = OtlpMetricsDecoder.Decode(r[^1].Body)),
            "an export that matches", context: () => guardian.Output + "\nlast export: " + Describe(found));
        return found!;
    }

    private static long Count(OtlpMetricsDecoder.Export export, string metric, string outcome) =>
        (long)(export.Find(metric)?.Points.Where(p => p.Attributes.GetValueOrDefault("guardian.heal.outcome") == outcome).Sum(p => p.Value ?? 0) ?? 0);

    private static OtlpMetricsDecoder.Point? Histogram(OtlpMetricsDecoder.Export export, string metric) => export.Find(metric)?.Points.SingleOrDefault();

    private static double? Gauge(OtlpMetricsDecoder.Export export) => export.Find("guardian.entry.compliant")?.Points.SingleOrDefault()?.Value;

    private static string Describe(OtlpMetricsDecoder.Export? export) => export is null ? "none" : string.Join("; ", export.Metrics.Select(m =>
        $"{m.Name} [{m.Unit}] {m.Kind}: " + string.Join(", ", m.Points.Select(p =>
            $"{string.Join(",", p.Attributes.Select(a => $"{a.Key}={a.Value}"))} value={p.Value} count={p.Count} sum={p.Sum}"))));
}
