using System.Globalization;
using Microsoft.Extensions.Configuration;
using MoleculeGuardian.Configuration;

namespace MoleculeGuardian.Supervision;

/// <summary>
/// The <c>Supervisor</c> configuration section, read by <c>supervise</c> only (the guardian's own commands ignore it).
/// Every default lives here, once. Unlike the guardian's settings, a bad value is reported and its default used: a typo
/// in a tuning knob must not keep the concierge from starting (the guardian itself still stops with 78 on its own).
/// </summary>
internal sealed class SupervisorOptions
{
    public const string SectionName = "Supervisor";

    /// <summary>
    /// The user <c>run</c> is started as when the supervisor is root (a name, a uid, or uid:gid, as
    /// <c>Guardian:RunAs</c>); empty keeps the supervisor's user.
    /// </summary>
    public string RunAs { get; set; } = "agent";

    public TimeSpan RestartMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RestartMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A guardian that ran this long is restarted after <see cref="RestartMinDelay"/> again.</summary>
    public TimeSpan RestartResetAfter { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan HealTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Grace between SIGTERM and SIGKILL for a child the supervisor stops.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Where <c>heal</c> and <c>run</c> start (the runtime starts in the container's own working directory).</summary>
    public string WorkingDirectory { get; set; } = "/";

    /// <summary>
    /// The guardian binary for <c>heal</c> and <c>run</c>; by default <c>molecule-guardian</c> next to the supervisor
    /// (set <c>molecule-guardian-otel</c> for metrics export). A bare name is looked up in PATH.
    /// </summary>
    public string GuardianPath { get; set; } = Path.Combine(AppContext.BaseDirectory, DefaultGuardian);

    public const string DefaultGuardian = "molecule-guardian";

    /// <summary>The runtime command when none follows <c>--</c> (the image's build argument puts it here).</summary>
    public string RuntimeCommand { get; set; } = "";

    /// <summary>
    /// Reads the section. Each key that names no setting, and each value that does not read, is added to
    /// <paramref name="errors"/> (naming the key) and leaves that setting at its default.
    /// </summary>
    public static SupervisorOptions From(IConfiguration configuration, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(errors);
        var options = new SupervisorOptions();
        foreach (var setting in configuration.GetSection(SectionName).GetChildren())
        {
            if (options.Read(setting) is { } error)
            {
                errors.Add(error);
            }
        }

        if (options.RestartMaxDelay < options.RestartMinDelay)
        {
            errors.Add($"{SectionName}:RestartMaxDelay is below RestartMinDelay; using RestartMinDelay for both.");
            options.RestartMaxDelay = options.RestartMinDelay;
        }

        return options;
    }

    /// <summary>Sets one setting from its text, or says (naming the key) why it does not read; the setting is then untouched.</summary>
    private string? Read(IConfigurationSection setting)
    {
        var key = setting.Path;
        if (setting.Value is not { } value)
        {
            // A section (Supervisor:RunAs:Name): its keys name no setting.
            var keys = setting.AsEnumerable().Where(k => k.Value is not null).Select(k => k.Key);
            return $"{string.Join(", ", keys)} is not a setting (see deploy/README.md).";
        }

        switch (setting.Key.ToUpperInvariant())
        {
            case "RUNAS":
                if (RunAsError(value) is { } error)
                {
                    return $"{key} {error}; using '{RunAs}'.";
                }

                RunAs = value;
                return null;
            case "WORKINGDIRECTORY":
                if (!Path.IsPathFullyQualified(value))
                {
                    return $"{key} must be an absolute path (got '{value}'); using '{WorkingDirectory}'.";
                }

                WorkingDirectory = value;
                return null;
            case "GUARDIANPATH":
                GuardianPath = value.Length > 0 ? value : GuardianPath;
                return null;
            case "RUNTIMECOMMAND":
                RuntimeCommand = value;
                return null;
            case "RESTARTMINDELAY":
                return ReadDuration(key, value, RestartMinDelay, d => RestartMinDelay = d);
            case "RESTARTMAXDELAY":
                return ReadDuration(key, value, RestartMaxDelay, d => RestartMaxDelay = d);
            case "RESTARTRESETAFTER":
                return ReadDuration(key, value, RestartResetAfter, d => RestartResetAfter = d);
            case "HEALTIMEOUT":
                return ReadDuration(key, value, HealTimeout, d => HealTimeout = d);
            case "STOPTIMEOUT":
                return ReadDuration(key, value, StopTimeout, d => StopTimeout = d);
            default:
                return $"{key} is not a setting (see deploy/README.md).";
        }
    }

    /// <summary>Empty keeps the supervisor's user; anything else must name a user <c>run</c> can be started as.</summary>
    private static string? RunAsError(string value)
    {
        try
        {
            _ = value.Length == 0 ? null : ChildUsers.ResolveRunAs(value);
            return null;
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }
    }

    private static string? ReadDuration(string key, string text, TimeSpan fallback, Action<TimeSpan> set)
    {
        if (Duration.TryParse(text, out var value) && value > TimeSpan.Zero)
        {
            set(value);
            return null;
        }

        return $"{key}='{text}' is not {Duration.Expected} above zero; using {fallback.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s.";
    }
}
