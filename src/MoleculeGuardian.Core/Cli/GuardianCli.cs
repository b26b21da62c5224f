using System.CommandLine;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Files;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Logging;
using Serilog.Extensions.Logging;

namespace MoleculeGuardian.Cli;

/// <summary>
/// The command line of <c>molecule-guardian</c> and <c>molecule-guardian-otel</c>: <c>run</c> (default),
/// <c>heal [--dry-run]</c>, <c>check</c>. The two differ only in the <see cref="MetricsExporter"/> their
/// <c>Program</c> passes.
/// </summary>
internal static partial class GuardianCli
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        RunAsync(args, stdout, stderr, metricsExporter: null, cancellationToken);

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, MetricsExporter? metricsExporter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        var dryRun = new Option<bool>("--dry-run") { Description = "Print what a heal would change (entry names and kinds of change, never values) and touch nothing." };
        var run = new Command("run", "Heal at startup, then watch the settings file and re-assert the protected entries (the default).");
        var heal = new Command("heal", "Heal the settings file once, then exit.") { dryRun };
        var check = new Command("check", "Exit 0 when every protected entry is present and canonical (or this is not a platform-agent image), 1 when not.");
        var root = new RootCommand("MoleculeGuardian keeps the protected MCP server entries in the Claude settings file.\n"
            + "Configuration overrides: --Guardian:Key=value (e.g. --Guardian:SettingsPath=/tmp/settings.json).") { run, heal, check };
        foreach (var command in new Command[] { root, run, heal, check })
        {
            // Unmatched tokens are checked below: configuration overrides pass, anything else is a usage error.
            command.TreatUnmatchedTokensAsErrors = false;
        }

        // Actions go on before parsing: a root command with subcommands and no action of its own is a parse error
        // ("Required command was not provided"), and the bare command must run the service.
        root.SetAction((result, ct) => RunServiceAsync(ConfigArgs(result), stdout, stderr, metricsExporter, ct));
        run.SetAction((result, ct) => RunServiceAsync(ConfigArgs(result), stdout, stderr, metricsExporter, ct));
        heal.SetAction((result, ct) => OneShotAsync(ConfigArgs(result), result.GetValue(dryRun) ? Mode.DryRun : Mode.Heal, stdout, stderr, ct));
        check.SetAction((result, ct) => OneShotAsync(ConfigArgs(result), Mode.Check, stdout, stderr, ct));

        var parse = root.Parse(args);
        var unknown = parse.UnmatchedTokens.Where(t => !ConfigOverride().IsMatch(t)).ToList();
        if (parse.Errors.Count > 0 || unknown.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"molecule-guardian: {error.Message}").ConfigureAwait(false);
            }

            foreach (var token in unknown)
            {
                await stderr.WriteLineAsync($"molecule-guardian: unrecognized argument '{token}' (configuration overrides look like --Guardian:Key=value)").ConfigureAwait(false);
            }

            await stderr.WriteLineAsync("Run 'molecule-guardian --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The <c>--Guardian:Key=value</c> overrides: the tokens no option or command claimed (checked above).</summary>
    private static string[] ConfigArgs(ParseResult result) => [.. result.UnmatchedTokens];

    private enum Mode
    {
        Heal,
        DryRun,
        Check,
    }

    internal static bool IsConfigOverride(string token) => ConfigOverride().IsMatch(token);

    [GeneratedRegex(@"^--[A-Za-z][\w.-]*(:[\w.-]+)+=.*$", RegexOptions.CultureInvariant)]
    private static partial Regex ConfigOverride();

    private static async Task<int> RunServiceAsync(string[] configArgs, TextWriter stdout, TextWriter stderr, MetricsExporter? metricsExporter, CancellationToken cancellationToken)
    {
        return await WithHostAsync(configArgs, stdout, stderr, new Export(Wanted: true, metricsExporter), async host =>
        {
            // Logs go to stdout for the journal and the container log; the host ends on SIGTERM/SIGINT.
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }).ConfigureAwait(false);
    }

    private static async Task<int> OneShotAsync(string[] configArgs, Mode mode, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        // One-shot commands log to stderr and print their answer on stdout; they never export metrics.
        return await WithHostAsync(configArgs, stderr, stderr, new Export(Wanted: false, null), async host =>
        {
            var options = host.Services.GetRequiredService<IOptions<GuardianOptions>>().Value;
            var gate = host.Services.GetRequiredService<PlatformAgentGate>();
            if (!gate.Enabled)
            {
                await stdout.WriteLineAsync($"not a concierge ({gate.Reason}): nothing to {(mode == Mode.Check ? "check" : "heal")}").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            // The identity step, as `run` takes it at start: a root `check` reads as the directory's owner too. The heal
            // then logs what it found (a refusal, an impostor, an entry it cannot restore) as it goes.
            host.Services.GetRequiredService<Privilege>().Settle();
            var healer = host.Services.GetRequiredService<Healer>();
            var report = await healer.HealAsync(HealTrigger.Command, mode != Mode.Heal, cancellationToken).ConfigureAwait(false);
            var answer = Describe(report, mode, options.SettingsPath);
            await stdout.WriteLineAsync(answer).ConfigureAwait(false);
            if (mode == Mode.Check && !(report.Status == HealStatus.NoChange && report.Compliant))
            {
                var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GuardianCli).FullName!);
                Log.CheckFailed(log, options.SettingsPath, answer);
            }

            return report.Status switch
            {
                _ when !report.Compliant => ExitCodes.Failed,
                HealStatus.NoChange => ExitCodes.Success,
                HealStatus.Healed when mode != Mode.Check => ExitCodes.Success,
                _ => ExitCodes.Failed,
            };
        }).ConfigureAwait(false);
    }

    /// <summary>Whether the command exports metrics (only <c>run</c>), and what this binary exports them with, if anything.</summary>
    private readonly record struct Export(bool Wanted, MetricsExporter? Exporter);

    private static async Task<int> WithHostAsync(string[] configArgs, TextWriter logOutput, TextWriter stderr, Export export, Func<IHost, Task<int>> body)
    {
        IHost host;
        try
        {
            var configuration = GuardianHost.BuildConfiguration(configArgs);
            host = GuardianHost.Build(configuration, logOutput, metricsExporter: export.Wanted ? export.Exporter : null);

            // Resolving the options runs the binder and the validator: a bad value stops us here, named.
            var options = host.Services.GetRequiredService<IOptions<GuardianOptions>>().Value;
            var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GuardianCli).FullName!);
            foreach (var key in options.RetiredKeysSet)
            {
                Log.SettingRetired(log, key);
            }

            if (export is { Wanted: true, Exporter: null } && MetricsExportRequest.IsRequested(configuration))
            {
                Log.MetricsExportUnavailable(log, MetricsExportRequest.ExporterBinaryName);
            }
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidDataException or FormatException)
        {
            await ReportInvalidConfigurationAsync(stderr, ex).ConfigureAwait(false);
            return ExitCodes.InvalidConfiguration;
        }

        using (host)
        {
            try
            {
                return await body(host).ConfigureAwait(false);
            }
            catch (OptionsValidationException ex)
            {
                await ReportInvalidConfigurationAsync(stderr, ex).ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }
        }
    }

    private static async Task ReportInvalidConfigurationAsync(TextWriter stderr, Exception ex)
    {
        var messages = ex is OptionsValidationException v ? v.Failures : [ex.Message + (ex.InnerException is { } inner ? " " + inner.Message : "")];
        foreach (var message in messages)
        {
            await stderr.WriteLineAsync($"molecule-guardian: invalid configuration: {message}").ConfigureAwait(false);
        }

        // The same as an event, for log pipelines; with default logging options, since ours may be what is invalid.
        using var serilog = new LoggingOptions().CreateLogger(stderr);
        using var factory = new SerilogLoggerFactory(serilog);
        Log.ConfigurationInvalid(factory.CreateLogger(typeof(GuardianCli).FullName!), string.Join(" ", messages));
    }

    private static string Describe(HealReport report, Mode mode, string path)
    {
        var changes = string.Join(", ", report.Changes.Select(c => c.ToString()));
        var answer = (report.Status, mode) switch
        {
            (HealStatus.NoChange, Mode.Check) when report.Compliant => $"ok: every protected entry is present, of an accepted shape, in {path}",
            (HealStatus.NoChange, _) when report.Compliant => $"no change needed: {path} already holds every protected entry",
            (HealStatus.NoChange, _) => $"not ok: {path} is left as it is",
            (HealStatus.Healed, Mode.Check) => $"not ok: {path} needs {changes}",
            (HealStatus.Healed, Mode.DryRun) => $"a heal would make: {changes} ({path}, nothing written)",
            (HealStatus.Healed, _) => $"healed {path}: {changes}",
            (HealStatus.DirectoryMissing, _) => $"failed: the directory of {path} does not exist",
            _ => $"failed: {report.Status}: {report.Detail}",
        };

        // Which entries are still out or wrong; why is in the error events just before (stderr).
        return report.LeftOut.Count == 0 ? answer : $"{answer}; still out or not of an accepted shape: {string.Join(", ", report.LeftOut)}";
    }
}
