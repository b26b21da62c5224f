using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MoleculeGuardian.Logging;
using Serilog;

namespace MoleculeGuardian.Hosting;

/// <summary>Builds the guardian's host: the same code path for the binary and the integration tests.</summary>
public static class GuardianHost
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

    public static IHost Build(IConfiguration configuration, TextWriter logOutput, Action<IServiceCollection>? configureServices = null)
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
        builder.Services.AddSystemd();
        configureServices?.Invoke(builder.Services);
        builder.Services.AddMoleculeGuardian(configuration);
        builder.Services.AddHostedService(sp => new SystemdWatchdog(
            sp.GetService<Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier>(), sp.GetRequiredService<GuardianService>(), sp.GetRequiredService<TimeProvider>()));
        return builder.Build();
    }
}
