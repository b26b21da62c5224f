using Microsoft.Extensions.Configuration;
using MoleculeGuardian.Configuration;

namespace MoleculeGuardian.Supervision;

/// <summary>
/// The <c>Supervisor</c> section, read by <c>supervise</c> only (the guardian's own commands ignore it). A bad value
/// is reported and its default used: a typo in a tuning knob must not keep the concierge from starting.
/// </summary>
internal sealed record SupervisorOptions
{
    public const string SectionName = "Supervisor";

    /// <summary>The user <c>run</c> runs as when the supervisor is root; empty keeps root.</summary>
    public string RunAs { get; init; } = "agent";

    public TimeSpan RestartMinDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RestartMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A guardian that ran this long is restarted after <see cref="RestartMinDelay"/> again.</summary>
    public TimeSpan RestartResetAfter { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan HealTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Grace between SIGTERM and SIGKILL for a child the supervisor stops.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The guardian binary for <c>heal</c> and <c>run</c>; by default the supervisor's own.</summary>
    public string GuardianPath { get; init; } = Environment.ProcessPath ?? "molecule-guardian";

    /// <summary>The runtime command when none follows <c>--</c> (the image's build argument puts it here).</summary>
    public string RuntimeCommand { get; init; } = "";

    public static SupervisorOptions From(IConfiguration configuration, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(errors);
        var defaults = new SupervisorOptions();
        var section = configuration.GetSection(SectionName);
        foreach (var child in section.GetChildren().Where(c => !Keys.Contains(c.Key)))
        {
            errors.Add($"{SectionName}:{child.Key} is not a setting (see deploy/README.md).");
        }

        var options = defaults with
        {
            RunAs = section[nameof(RunAs)] ?? defaults.RunAs,
            GuardianPath = section[nameof(GuardianPath)] is { Length: > 0 } path ? path : defaults.GuardianPath,
            RuntimeCommand = section[nameof(RuntimeCommand)] ?? defaults.RuntimeCommand,
            RestartMinDelay = Read(section, nameof(RestartMinDelay), defaults.RestartMinDelay, errors),
            RestartMaxDelay = Read(section, nameof(RestartMaxDelay), defaults.RestartMaxDelay, errors),
            RestartResetAfter = Read(section, nameof(RestartResetAfter), defaults.RestartResetAfter, errors),
            HealTimeout = Read(section, nameof(HealTimeout), defaults.HealTimeout, errors),
            StopTimeout = Read(section, nameof(StopTimeout), defaults.StopTimeout, errors),
        };
        if (options.RestartMaxDelay < options.RestartMinDelay)
        {
            errors.Add($"{SectionName}:RestartMaxDelay is below RestartMinDelay; using RestartMinDelay for both.");
            options = options with { RestartMaxDelay = options.RestartMinDelay };
        }

        return options;
    }

    private static readonly HashSet<string> Keys = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(RunAs), nameof(RestartMinDelay), nameof(RestartMaxDelay), nameof(RestartResetAfter), nameof(HealTimeout),
        nameof(StopTimeout), nameof(GuardianPath), nameof(RuntimeCommand),
    };

    private static TimeSpan Read(IConfigurationSection section, string key, TimeSpan fallback, List<string> errors)
    {
        var text = section[key];
        if (text is null)
        {
            return fallback;
        }

        if (Duration.TryParse(text, out var value) && value > TimeSpan.Zero)
        {
            return value;
        }

        errors.Add($"{SectionName}:{key}='{text}' is not {Duration.Expected} above zero; using {fallback.TotalSeconds:0.###}s.");
        return fallback;
    }
}
