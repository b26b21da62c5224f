using System.Collections;
using System.CommandLine.Parsing;
using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Cli;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Logging;
using Serilog.Extensions.Logging;

namespace MoleculeGuardian.Supervision;

/// <summary>
/// <c>molecule-guardian-supervise [--Section:Key=value...] [-- RUNTIME [ARGS...]]</c>: the container's entrypoint
/// (<see cref="Supervisor"/>), parsed with System.CommandLine. Everything after <c>--</c> is the runtime's, options and
/// <c>@</c> tokens included, and reaches it untouched; before it only configuration overrides, <c>--help</c> and <c>--version</c>.
/// </summary>
internal static class SuperviseCommand
{
    public const string Description = "Be the container's entrypoint: heal once, then run RUNTIME and the guardian side by side as children, "
        + "restarting the guardian with back-off (not after exit 78), passing SIGTERM/SIGINT to both and the other signals tini forwards "
        + "to RUNTIME alone, exiting with RUNTIME's status.\n"
        + "Usage: molecule-guardian-supervise [--Supervisor:Key=value...] [--Guardian:Key=value...] -- RUNTIME [ARGS...]";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var runtimeArgument = new Argument<string[]>("RUNTIME")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "After '--': the runtime command and its arguments, passed on untouched (options included).",
        };
        // A root command: --help and --version come with it (the image build runs --version to prove the binary loads).
        var command = new RootCommand(Description) { runtimeArgument };
        command.SetAction((result, _) => SuperviseAsync(result, stdout, stderr));

        // No response files: an '@' token is an argument like any other (and after '--', the runtime's).
        var parse = command.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var (configArgs, _) = Split(parse);
        var unknown = configArgs.Where(a => !GuardianCli.IsConfigOverride(a)).ToList();
        if (parse.Errors.Count > 0 || unknown.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"molecule-guardian-supervise: {error.Message}").ConfigureAwait(false);
            }

            foreach (var token in unknown)
            {
                await stderr.WriteLineAsync($"molecule-guardian-supervise: unrecognized argument '{token}' (the runtime command follows '--')").ConfigureAwait(false);
            }

            return ExitCodes.Usage;
        }

        // No termination handling of System.CommandLine's: SIGTERM and SIGINT are the supervisor's to pass on (SignalRelay), and its
        // two-second grace would cut the children's StopTimeout short.
        return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    /// <summary>The arguments before <c>--</c> (configuration overrides) and after it (the runtime command), as given.</summary>
    private static (string[] ConfigArgs, string[] Runtime) Split(ParseResult parse)
    {
        var tokens = parse.Tokens.ToList();
        var dash = tokens.FindIndex(t => t.Type == TokenType.DoubleDash);
        var before = dash < 0 ? tokens : tokens[..dash];
        return ([.. before.Where(t => t.Type == TokenType.Argument).Select(t => t.Value)],
            dash < 0 ? [] : [.. tokens[(dash + 1)..].Select(t => t.Value)]);
    }

    private static async Task<int> SuperviseAsync(ParseResult parse, TextWriter stdout, TextWriter stderr)
    {
        var (configArgs, runtime) = Split(parse);
        var configuration = GuardianHost.BuildConfiguration(configArgs);
        var errors = new List<string>();
        LoggingOptions logging;
        try
        {
            logging = LoggingOptions.From(configuration);
        }
        catch (OptionsValidationException ex)
        {
            errors.AddRange(ex.Failures);
            logging = new LoggingOptions();
        }

        var options = SupervisorOptions.From(configuration, errors);
        using var serilog = logging.CreateLogger(stdout);
        using var factory = new SerilogLoggerFactory(serilog);
        var log = factory.CreateLogger(typeof(Supervisor).FullName!);
        if (errors.Count > 0)
        {
            // Reported, not fatal: the concierge starts; the guardian itself still stops with 78 on its own settings.
            Log.ConfigurationInvalid(log, string.Join(" ", errors));
        }

        if (runtime.Length == 0)
        {
            runtime = options.RuntimeCommand.Length > 0 ? [options.RuntimeCommand] : [];
        }

        if (runtime.Length == 0)
        {
            await stderr.WriteLineAsync("molecule-guardian-supervise: no runtime command (give it after '--', or set Supervisor:RuntimeCommand)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var environment = GuardianEnvironment.From(
            Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => KeyValuePair.Create((string)e.Key, (string?)e.Value ?? "")),
            configuration.GetSection(GuardianOptions.SectionName).AsEnumerable().Select(setting => setting.Value));
        var commands = SupervisorCommands.From(options, configArgs, runtime, environment, Environment.IsPrivilegedProcess);
        using var supervisor = new Supervisor(new ProcessLauncher(), options, commands, ExitCodes.InvalidConfiguration, TimeProvider.System, log);
        using var signals = SignalRelay.Register(supervisor.OnSignal);
        return await supervisor.RunAsync().ConfigureAwait(false);
    }
}
