using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Supervision;
using Serilog.Extensions.Logging;

namespace MoleculeGuardian.Cli;

/// <summary>
/// <c>molecule-guardian supervise [--Section:Key=value...] [-- RUNTIME [ARGS...]]</c>: the container's entrypoint
/// (<see cref="Supervisor"/>). Parsed here rather than by System.CommandLine: everything after <c>--</c> belongs to
/// the runtime, options included, and must reach it untouched.
/// </summary>
internal static partial class SuperviseCommand
{
    public const string Name = "supervise";

    public const string Description = "Be the container's entrypoint: heal once, then run RUNTIME and the guardian side by side as children, "
        + "restarting the guardian with back-off (not after exit 78), forwarding SIGTERM/SIGINT, exiting with RUNTIME's status. "
        + "Usage: supervise [--Guardian:Key=value...] -- RUNTIME [ARGS...]";

    /// <summary>Variables a service manager sets for the supervisor, not for the guardian it starts.</summary>
    private static readonly string[] ServiceManagerVariables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var separator = Array.IndexOf(args, "--");
        var configArgs = separator < 0 ? args : args[..separator];
        var runtime = separator < 0 ? [] : args[(separator + 1)..];
        if (configArgs.Any(a => a is "-h" or "--help" or "-?"))
        {
            await stdout.WriteLineAsync(Description).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        if (configArgs.FirstOrDefault(a => !GuardianCli.IsConfigOverride(a)) is { } unknown)
        {
            await stderr.WriteLineAsync($"molecule-guardian supervise: unrecognized argument '{unknown}' (the runtime command follows '--')").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

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
            await stderr.WriteLineAsync("molecule-guardian supervise: no runtime command (give it after '--', or set Supervisor:RuntimeCommand)").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var supervisor = new Supervisor(new ProcessLauncher(), options, Commands(options, configArgs, runtime), TimeProvider.System, log);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Forward(context, supervisor, Supervisor.SigTerm));
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Forward(context, supervisor, Supervisor.SigInt));
        return await supervisor.RunAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The heal runs as the supervisor (root in the image): it switches to the settings directory's owner itself.
    /// <c>run</c> starts as <see cref="SupervisorOptions.RunAs"/> when the supervisor is root. Both get the same
    /// configuration overrides and run in the binary's directory (any user can enter it; appsettings.json is there).
    /// </summary>
    internal static SupervisorCommands Commands(SupervisorOptions options, IReadOnlyList<string> configArgs, IReadOnlyList<string> runtime)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(options.GuardianPath));
        var heal = new ChildSpec(options.GuardianPath, ["heal", .. configArgs])
        {
            CaptureOutput = true,
            WorkingDirectory = directory,
            RemoveEnvironment = ServiceManagerVariables,
        };
        var guardian = heal with
        {
            Arguments = ["run", .. configArgs],
            CaptureOutput = false,
            UserName = Environment.IsPrivilegedProcess && options.RunAs.Length > 0 ? options.RunAs : null,
        };
        return new SupervisorCommands(heal, guardian, new ChildSpec(runtime[0], [.. runtime.Skip(1)]));
    }

    private static void Forward(PosixSignalContext context, Supervisor supervisor, int signal)
    {
        // Ours to handle: the default would end the supervisor and orphan its children.
        context.Cancel = true;
        supervisor.OnSignal(signal);
    }
}
