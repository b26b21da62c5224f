using System.Text.RegularExpressions;

namespace MoleculeGuardian.Supervision;

/// <summary>
/// The environment of the guardian's own children (<c>heal</c>, <c>run</c>): what the guardian reads, nothing else.
/// <c>run</c> runs as the agent user, and any process of that user can read <c>/proc/PID/environ</c>: it must not
/// carry root's variables (a secret, <c>HOME=/root</c>) there. The runtime is not filtered: it is the container's own
/// process and gets the whole environment, as the image would give it.
/// </summary>
internal static partial class GuardianEnvironment
{
    /// <summary>
    /// Configuration the guardian reads from its environment. Matched without regard to case, as .NET's environment
    /// configuration provider matches keys (<c>GUARDIAN__SETTINGSPATH</c> sets <c>Guardian:SettingsPath</c>; a name
    /// with <c>:</c> is read too). <c>OTEL_*</c> are read through the same configuration; <c>DOTNET_*</c> are the
    /// runtime's knobs (a GC heap limit).
    /// </summary>
    private static readonly string[] Prefixes = ["Guardian__", "Guardian:", "Logging__", "Logging:", "OTEL_", "DOTNET_"];

    /// <summary>The gate (the runtime's own markers, by their exact names), the search path, the time zone, the temp directory.</summary>
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "MOLECULE_PLATFORM_AGENT_IMAGE_BAKED", "MOLECULE_DECLARED_PLUGINS", "PATH", "TZ", "TMPDIR",
    };

    /// <summary>
    /// Never passed, even when a setting names them: a service manager's variables are for the supervisor alone (a
    /// guardian that saw them would notify systemd in its place), and the user's own are set from the user database.
    /// </summary>
    private static readonly HashSet<string> Withheld = new(StringComparer.Ordinal) { "NOTIFY_SOCKET", "HOME", "USER", "LOGNAME" };

    private const string WithheldPrefix = "WATCHDOG_";

    /// <summary>
    /// The allowlisted subset of <paramref name="environment"/>: the names above, plus every variable a value of the
    /// <c>Guardian</c> section names as <c>${NAME}</c> (a protected server's <c>env</c> that takes the guardian's own
    /// <c>MOLECULE_API_KEY</c>, say): <c>run</c> expands those, so they must reach it.
    /// </summary>
    public static Dictionary<string, string> From(IEnumerable<KeyValuePair<string, string>> environment, IEnumerable<string?> guardianSettingValues)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(guardianSettingValues);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in guardianSettingValues)
        {
            foreach (Match match in Reference().Matches(value ?? ""))
            {
                referenced.Add(match.Groups[1].Value);
            }
        }

        var passed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in environment)
        {
            if (Passes(name, referenced))
            {
                passed[name] = value;
            }
        }

        return passed;
    }

    private static bool Passes(string name, HashSet<string> referenced)
    {
        if (Withheld.Contains(name) || name.StartsWith(WithheldPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        return Names.Contains(name) || referenced.Contains(name)
            || Prefixes.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();
}
