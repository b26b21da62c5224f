using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using MoleculeGuardian.Logging;
using Serilog;

namespace MoleculeGuardian.Hosting;

/// <summary>Builds the guardian's host: the same code path for the binary and the integration tests.</summary>
internal static class GuardianHost
{
    /// <summary>
    /// Configuration, lowest precedence first: appsettings.json next to the binary (never watched: the guardian
    /// uses exactly one inotify instance), environment variables, then <c>--Guardian:Key=value</c> arguments.
    /// </summary>
    public static IConfigurationRoot BuildConfiguration(IEnumerable<string> configArgs, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine([.. configArgs]);
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }

        return builder.Build();
    }

    /// <summary>
    /// The host. With a <paramref name="metricsExporter"/> (only <c>run</c> of <c>molecule-guardian-otel</c> passes one)
    /// and an OTLP endpoint in the configuration, the meter is exported too; otherwise nothing of export is registered.
    /// </summary>
    public static IHost Build(IConfiguration configuration, TextWriter logOutput, Action<IServiceCollection>? configureServices = null, MetricsExporter? metricsExporter = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        builder.Configuration.AddConfiguration(configuration);

        var logger = LoggingOptions.From(configuration).CreateLogger(logOutput);
        builder.Services.AddSerilog(logger, dispose: true);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        if (IsSystemdNotifyTarget(Environment.GetEnvironmentVariable, Environment.ProcessId))
        {
            // What AddSystemd() registers, decided by the service manager's own signals instead of
            // SystemdHelpers.IsSystemdService(), which reads the parent's /proc/<ppid>/comm: under the unit's
            // ProtectProc=invisible (User=agent) PID 1 is hidden, so it said "not systemd" and READY=1 never came.
            // SystemdLifetime sends READY=1 once every hosted service has started (after the startup heal) and
            // STOPPING=1 on stop; SystemdWatchdog sends WATCHDOG=1.
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        configureServices?.Invoke(builder.Services);
        if (metricsExporter is not null && MetricsExportRequest.IsRequested(configuration))
        {
            metricsExporter(builder.Services, configuration);
        }

        builder.Services.AddMoleculeGuardian(configuration);
        builder.Services.AddHostedService(sp => new SystemdWatchdog(
            sp.GetService<ISystemdNotifier>(), sp.GetRequiredService<GuardianService>(), sp.GetRequiredService<TimeProvider>()));
        return builder.Build();
    }

    /// <summary>
    /// True when a service manager expects sd_notify messages from this very process. <c>NOTIFY_SOCKET</c> is what
    /// sd_notify(3) itself goes by; <c>SYSTEMD_EXEC_PID</c> (systemd 248+) names the process the manager started, so
    /// a child that merely inherited the socket (a script's helper, a sidecar under a notifying wrapper) stays quiet.
    /// Without <c>SYSTEMD_EXEC_PID</c> (older systemd, other managers) the socket alone decides. Nothing here reads
    /// /proc, which the unit's own hardening may hide.
    /// </summary>
    public static bool IsSystemdNotifyTarget(Func<string, string?> environment, int processId)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (string.IsNullOrEmpty(environment("NOTIFY_SOCKET")))
        {
            return false;
        }

        var execPid = environment("SYSTEMD_EXEC_PID");
        return string.IsNullOrEmpty(execPid) || execPid == processId.ToString(CultureInfo.InvariantCulture);
    }
}
