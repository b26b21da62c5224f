using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Watching;

namespace MoleculeGuardian.Hosting;

/// <summary>The one registration that production and the integration tests both use.</summary>
internal static class GuardianServiceCollectionExtensions
{
    public static IServiceCollection AddMoleculeGuardian(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IFileSystemCalls>(LinuxFileSystemCalls.Instance);
        services.TryAddSingleton<IProcessIdentity>(LinuxProcessIdentity.Instance);

        services.AddOptions<GuardianOptions>()
            .Configure(options => BindGuardian(configuration, options))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GuardianOptions>>(sp => new GuardianOptionsValidator(sp.GetRequiredService<IProcessIdentity>()));

        services.TryAddSingleton(sp => PlatformAgentGate.From(name => configuration[name], Options(sp).Gate));
        services.AddMetrics();
        services.TryAddSingleton<GuardianMetrics>();
        services.TryAddSingleton(sp =>
        {
            // The identity step's one instance: the service and the one-shot commands settle it, the store and the
            // watcher act through it.
            var options = Options(sp);
            var identity = sp.GetRequiredService<IProcessIdentity>();
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(Privilege).FullName!);
            var directory = Path.GetDirectoryName(options.SettingsPath) ?? "/";
            return new Privilege(identity, sp.GetRequiredService<IFileSystemCalls>(), directory, GuardianOptionsValidator.ResolveUser(options.RunAs, identity),
                decision =>
                {
                    if (decision.Switched)
                    {
                        Log.IdentitySwitched(log, decision.Uid, decision.Gid, decision.Reason);
                    }
                    else
                    {
                        Log.IdentityKept(log, directory, decision.Reason);
                    }
                });
        });
        services.TryAddSingleton(sp =>
        {
            var options = Options(sp);
            _ = GuardianOptionsValidator.TryParseMode(options.NewFileMode, out var mode); // validated at startup
            return new SettingsFileStore(options.SettingsPath, options.MaxFileBytes, mode,
                sp.GetRequiredService<IFileSystemCalls>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Privilege>());
        });
        services.TryAddSingleton<CommandCheck>(CommandLookup.WhyNotRunnable);
        services.TryAddSingleton(sp =>
        {
            var options = Options(sp);
            var check = sp.GetRequiredService<CommandCheck>();

            // ${NAME} in a spec is the guardian's own environment variable, read as the configuration reads it.
            var servers = ProtectedServerSpecs.FromOptions(options, name => configuration[name.Replace("__", ":", StringComparison.Ordinal)]);
            return new HealRules(servers, options.DriftPolicy, options.SettleDelay, options.MaxFileBytes, command => check(command));
        });
        services.TryAddSingleton(sp => new Healer(sp.GetRequiredService<SettingsFileStore>(), sp.GetRequiredService<HealRules>(), Options(sp).KeepQuarantined,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Healer>>(), sp.GetRequiredService<GuardianMetrics>()));
        services.TryAddSingleton(_ => MemoryTrimmer.ForThisProcess());
        services.TryAddSingleton(sp =>
        {
            var trimmer = sp.GetRequiredService<MemoryTrimmer>();
            return new HealLoop(sp.GetRequiredService<Healer>(), Options(sp), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<HealLoop>>(),
                sp.GetRequiredService<GuardianMetrics>(), () => trimmer.Idle());
        });
        services.TryAddSingleton(sp =>
        {
            var loop = sp.GetRequiredService<HealLoop>();
            var options = Options(sp);
            return new SettingsWatcher(options.SettingsPath, sp.GetRequiredService<Privilege>(), sp.GetRequiredService<IFileSystemCalls>(), options, sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<SettingsWatcher>>(), signal => loop.Request(signal == WatchSignal.Changed ? HealTrigger.Watch : HealTrigger.Rescan),
                sp.GetService<Func<string, FileSystemWatcher>>());
        });
        services.TryAddSingleton(sp => new GuardianService(sp.GetRequiredService<HealLoop>(), sp.GetRequiredService<SettingsWatcher>(),
            sp.GetRequiredService<SettingsFileStore>(), Options(sp), sp.GetRequiredService<PlatformAgentGate>(), sp.GetRequiredService<MemoryTrimmer>(),
            sp.GetRequiredService<ILogger<GuardianService>>()));
        services.AddHostedService(sp => sp.GetRequiredService<GuardianService>());
        return services;
    }

    private static GuardianOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<GuardianOptions>>().Value;

    /// <summary>
    /// Binds the <c>Guardian</c> section. A value that does not convert, a duration without a unit, or a key that
    /// names no setting (a typo) is a configuration error naming the key, not a silent default. A retired key is
    /// accepted and noted: failing a guardian over a setting that no longer does anything would only take the
    /// protection away.
    /// </summary>
    public static void BindGuardian(IConfiguration configuration, GuardianOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var section = configuration.GetSection(GuardianOptions.SectionName);
        var errors = UnknownKeys(section).Select(key => $"{key} is not a setting (see the configuration table in README.md).").ToList();
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true))
        {
            var path = $"{GuardianOptions.SectionName}:{key}";
            if (RetiredKeys.Contains(key))
            {
                options.RetiredKeysSet.Add(path);
            }
            else if (DurationKeys.Contains(key) && value is not null)
            {
                // Normalized to .NET's constant format, which the binder reads unambiguously.
                values[path] = Duration.TryParse(value, out var duration) ? duration.ToString("c", CultureInfo.InvariantCulture)
                    : Fail($"{path} must be {Duration.Expected} (got '{value}').");
            }
            else
            {
                values[path] = value;
            }
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(GuardianOptions.SectionName, typeof(GuardianOptions), errors);
        }

        try
        {
            // ErrorOnUnknownConfiguration stays as a backstop; UnknownKeys above gives the better message.
            new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(GuardianOptions.SectionName)
                .Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(GuardianOptions.SectionName, typeof(GuardianOptions), [ex.Message]);
        }

        if (options.ProtectedServers.Count == 0)
        {
            options.ProtectedServers[Configuration.ProtectedServerOptions.ManagementName] = Configuration.ProtectedServerOptions.ManagementDefault();
        }

        string? Fail(string error)
        {
            errors.Add(error);
            return null;
        }
    }

    private static readonly HashSet<string> DurationKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(GuardianOptions.ResyncInterval), nameof(GuardianOptions.SettleDelay), nameof(GuardianOptions.PollInterval),
        nameof(GuardianOptions.DirectoryCheckInterval), nameof(GuardianOptions.RetryMinDelay), nameof(GuardianOptions.RetryMaxDelay),
    };

    private static readonly HashSet<string> GuardianKeys = new(DurationKeys, StringComparer.OrdinalIgnoreCase)
    {
        nameof(GuardianOptions.SettingsPath), nameof(GuardianOptions.MaxFileBytes), nameof(GuardianOptions.KeepQuarantined),
        nameof(GuardianOptions.FightThresholdPerMinute), nameof(GuardianOptions.DriftPolicy), nameof(GuardianOptions.Watch),
        nameof(GuardianOptions.NewFileMode), nameof(GuardianOptions.ProtectedServers), nameof(GuardianOptions.RunAs),
        nameof(GuardianOptions.Gate),
    };

    private static readonly HashSet<string> GateKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(GateOptions.Marker), nameof(GateOptions.ManagementPlugin),
    };

    private static readonly HashSet<string> ShapeKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(ShapeOptions.Command), nameof(ShapeOptions.Flags), nameof(ShapeOptions.Args), nameof(ShapeOptions.EnvKeys),
    };

    /// <summary>
    /// Settings that no longer do anything. <c>Debounce</c>/<c>MaxDelay</c> put a quiet time in front of every heal;
    /// a change is now healed at once, and changes during a heal coalesce into one more.
    /// </summary>
    private static readonly HashSet<string> RetiredKeys = new(StringComparer.OrdinalIgnoreCase) { "Debounce", "MaxDelay" };

    private static readonly HashSet<string> ServerKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(Configuration.ProtectedServerOptions.Type), nameof(Configuration.ProtectedServerOptions.Command),
        nameof(Configuration.ProtectedServerOptions.Args), nameof(Configuration.ProtectedServerOptions.Env),
        nameof(Configuration.ProtectedServerOptions.Url), nameof(Configuration.ProtectedServerOptions.Headers),
        nameof(Configuration.ProtectedServerOptions.Accept),
    };

    /// <summary>Full keys (e.g. <c>Guardian:ProtectedServers:x:Comand</c>) that name no setting: typos, found without reflection.</summary>
    private static IEnumerable<string> UnknownKeys(IConfigurationSection section)
    {
        foreach (var child in section.GetChildren())
        {
            if (!GuardianKeys.Contains(child.Key) && !RetiredKeys.Contains(child.Key))
            {
                yield return child.Path;
            }
            else if (string.Equals(child.Key, nameof(GuardianOptions.ProtectedServers), StringComparison.OrdinalIgnoreCase))
            {
                foreach (var member in child.GetChildren().SelectMany(server => server.GetChildren()))
                {
                    if (!ServerKeys.Contains(member.Key))
                    {
                        yield return member.Path;
                    }
                    else if (string.Equals(member.Key, nameof(Configuration.ProtectedServerOptions.Accept), StringComparison.OrdinalIgnoreCase))
                    {
                        foreach (var shapeKey in member.GetChildren().SelectMany(shape => shape.GetChildren()).Where(k => !ShapeKeys.Contains(k.Key)))
                        {
                            yield return shapeKey.Path;
                        }
                    }
                }
            }
            else if (string.Equals(child.Key, nameof(GuardianOptions.Gate), StringComparison.OrdinalIgnoreCase))
            {
                foreach (var member in child.GetChildren().Where(m => !GateKeys.Contains(m.Key)))
                {
                    yield return member.Path;
                }
            }
        }
    }
}
