using MoleculeGuardian.Healing;

namespace MoleculeGuardian.Configuration;

/// <summary>The <c>Guardian</c> configuration section. Every default lives here, once.</summary>
internal sealed class GuardianOptions
{
    public const string SectionName = "Guardian";

    public string SettingsPath { get; set; } = "/configs/.claude/settings.json";

    /// <summary>Safety-net re-check for events lost anyway.</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long an empty or unparseable file must stay bad and unchanged before it counts as corrupt. A change to the
    /// file is looked at at once; this only bounds how long a file that stays as it is waits.
    /// </summary>
    public TimeSpan SettleDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Polling period when file-system events cannot be had, or while waiting for the directory to appear.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// With file-system events, how often the directory's identity is checked: a directory deleted and recreated
    /// leaves the watcher silent (dotnet/runtime#126295) until this check rebuilds it.
    /// </summary>
    public TimeSpan DirectoryCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First wait after a failed read or write; doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Larger files are refused, untouched. A heal holds a bounded multiple of the file (README, "Performance"): at
    /// this size one heal fits with room to spare under the systemd unit's 64 MiB MemoryMax.
    /// </summary>
    public long MaxFileBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How many quarantine copies of each kind are kept, newest first.</summary>
    public int KeepQuarantined { get; set; } = 5;

    /// <summary>More heals than this in one minute means another writer keeps undoing ours.</summary>
    public int FightThresholdPerMinute { get; set; } = 10;

    public DriftPolicy DriftPolicy { get; set; } = DriftPolicy.Replace;

    public WatchMode Watch { get; set; } = WatchMode.Auto;

    /// <summary>Mode of a settings file the guardian creates (octal text, e.g. "0644").</summary>
    public string NewFileMode { get; set; } = "0644";

    /// <summary>
    /// Started as root, act as this user (a name, or a uid, or uid:gid) in the settings directory instead of its owner.
    /// Empty: the directory's owner, or root itself in a root-owned directory no one else can write.
    /// </summary>
    public string RunAs { get; set; } = "";

    /// <summary>Which of the platform's signals make this container a concierge.</summary>
    public GateOptions Gate { get; set; } = new();

    /// <summary>Entries that must always be present. Empty after binding means the built-in default.</summary>
    public Dictionary<string, ProtectedServerOptions> ProtectedServers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Retired settings that were set anyway (full keys): they have no effect, and the guardian says so once.</summary>
    internal List<string> RetiredKeysSet { get; } = [];
}

internal enum WatchMode
{
    /// <summary>File-system events, falling back to polling when a watcher cannot be had.</summary>
    Auto,
    Events,
    Poll,
}
