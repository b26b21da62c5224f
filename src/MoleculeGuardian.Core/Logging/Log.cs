using Microsoft.Extensions.Logging;
using MoleculeGuardian.Healing;

namespace MoleculeGuardian.Logging;

/// <summary>
/// The guardian's log events, source-generated. Properties carry names, paths, counts and errno names only:
/// never an MCP <c>env</c> value, never file content.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = (int)GuardianEvent.Started, EventName = nameof(GuardianEvent.Started), Level = LogLevel.Information,
        Message = "Guarding {SettingsPath}: protected {ProtectedServers}, drift policy {DriftPolicy}, watch {WatchMode}; a concierge because {Gate}")]
    public static partial void Started(ILogger logger, string settingsPath, string protectedServers, string driftPolicy, string watchMode, string gate);

    [LoggerMessage(EventId = (int)GuardianEvent.GateIdle, EventName = nameof(GuardianEvent.GateIdle), Level = LogLevel.Information,
        Message = "Not a concierge ({Gate}): idle, {SettingsPath} will not be touched")]
    public static partial void GateIdle(ILogger logger, string gate, string settingsPath);

    [LoggerMessage(EventId = (int)GuardianEvent.Healed, EventName = nameof(GuardianEvent.Healed), Level = LogLevel.Information,
        Message = "Healed {SettingsPath} ({Trigger}): {Changes} in {DurationMs:0.0} ms, {Bytes} bytes written; the entry was out for {AbsentMs:0.0} ms")]
    public static partial void Healed(ILogger logger, HealTrigger trigger, string changes, double durationMs, double absentMs, int bytes, string settingsPath);

    /// <summary>The same event for a file the heal created: there was no evicting write to date the absence by.</summary>
#pragma warning disable SYSLIB1025 // One event, two wordings: its id and name stay those of Healed.
    [LoggerMessage(EventId = (int)GuardianEvent.Healed, EventName = nameof(GuardianEvent.Healed), Level = LogLevel.Information,
        Message = "Healed {SettingsPath} ({Trigger}): {Changes} in {DurationMs:0.0} ms, {Bytes} bytes written")]
    public static partial void HealedWithoutAbsence(ILogger logger, HealTrigger trigger, string changes, double durationMs, int bytes, string settingsPath);
#pragma warning restore SYSLIB1025

    [LoggerMessage(EventId = (int)GuardianEvent.AlreadyHealthy, EventName = nameof(GuardianEvent.AlreadyHealthy), Level = LogLevel.Debug,
        Message = "Nothing to heal ({Trigger}), checked in {DurationMs:0.0} ms")]
    public static partial void AlreadyHealthy(ILogger logger, HealTrigger trigger, double durationMs);

    [LoggerMessage(EventId = (int)GuardianEvent.WouldHeal, EventName = nameof(GuardianEvent.WouldHeal), Level = LogLevel.Information,
        Message = "Dry run ({Trigger}): a heal of {SettingsPath} would make {Changes}")]
    public static partial void WouldHeal(ILogger logger, HealTrigger trigger, string changes, string settingsPath);

    [LoggerMessage(EventId = (int)GuardianEvent.Quarantined, EventName = nameof(GuardianEvent.Quarantined), Level = LogLevel.Warning,
        Message = "Kept the original {Bytes} bytes at {QuarantinePath} before repairing: {Reason}")]
    public static partial void Quarantined(ILogger logger, string quarantinePath, string reason, int bytes);

    [LoggerMessage(EventId = (int)GuardianEvent.TornRead, EventName = nameof(GuardianEvent.TornRead), Level = LogLevel.Debug,
        Message = "Settings file is {Problem} ({Bytes} bytes); assuming a writer is mid-write, re-reading in {SettleMs} ms")]
    public static partial void TornRead(ILogger logger, string problem, int bytes, double settleMs);

    [LoggerMessage(EventId = (int)GuardianEvent.WriteConflict, EventName = nameof(GuardianEvent.WriteConflict), Level = LogLevel.Debug,
        Message = "Heal round {Round} lost a race: {Seen}; nothing of the guardian's stays in place, healing again from a fresh read")]
    public static partial void WriteConflict(ILogger logger, int round, string seen);

    [LoggerMessage(EventId = (int)GuardianEvent.IoFailed, EventName = nameof(GuardianEvent.IoFailed), Level = LogLevel.Error,
        Message = "{Operation} failed on {Path} with {Errno}: {Error}; {Hint}")]
    public static partial void IoFailed(ILogger logger, string operation, string path, string errno, string error, string hint);

    [LoggerMessage(EventId = (int)GuardianEvent.Refused, EventName = nameof(GuardianEvent.Refused), Level = LogLevel.Error,
        Message = "Refusing to touch {SettingsPath}: {Reason}; leaving it as it is and checking again later")]
    public static partial void Refused(ILogger logger, string settingsPath, string reason);

    [LoggerMessage(EventId = (int)GuardianEvent.WaitingForDirectory, EventName = nameof(GuardianEvent.WaitingForDirectory), Level = LogLevel.Warning,
        Message = "Directory {Directory} is not there as a plain directory (missing, or reached through a symlink: see Refused); waiting for it to appear")]
    public static partial void WaitingForDirectory(ILogger logger, string directory);

    [LoggerMessage(EventId = (int)GuardianEvent.DirectoryAppeared, EventName = nameof(GuardianEvent.DirectoryAppeared), Level = LogLevel.Information,
        Message = "Directory {Directory} is there now; watching it and healing")]
    public static partial void DirectoryAppeared(ILogger logger, string directory);

    [LoggerMessage(EventId = (int)GuardianEvent.WatchRebuilt, EventName = nameof(GuardianEvent.WatchRebuilt), Level = LogLevel.Warning,
        Message = "Rebuilt the watch on {Directory}: {Reason}; re-checking the file")]
    public static partial void WatchRebuilt(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = (int)GuardianEvent.PollingFallback, EventName = nameof(GuardianEvent.PollingFallback), Level = LogLevel.Warning,
        Message = "File-system events unavailable for {Directory} ({Reason}); polling every {PollMs} ms instead")]
    public static partial void PollingFallback(ILogger logger, string directory, string reason, double pollMs);

    [LoggerMessage(EventId = (int)GuardianEvent.WatcherError, EventName = nameof(GuardianEvent.WatcherError), Level = LogLevel.Warning,
        Message = "The watcher on {Directory} reported an error ({Error}); events may have been lost, re-checking")]
    public static partial void WatcherError(ILogger logger, string directory, string error);

    [LoggerMessage(EventId = (int)GuardianEvent.StaleTempRemoved, EventName = nameof(GuardianEvent.StaleTempRemoved), Level = LogLevel.Information,
        Message = "Removed a temporary file left by an earlier guardian: {Path}")]
    public static partial void StaleTempRemoved(ILogger logger, string path);

    [LoggerMessage(EventId = (int)GuardianEvent.RetryScheduled, EventName = nameof(GuardianEvent.RetryScheduled), Level = LogLevel.Warning,
        Message = "Heal did not complete ({Status}); retry {Attempt} in {DelayMs} ms")]
    public static partial void RetryScheduled(ILogger logger, HealStatus status, int attempt, double delayMs);

    [LoggerMessage(EventId = (int)GuardianEvent.FightingAnotherWriter, EventName = nameof(GuardianEvent.FightingAnotherWriter), Level = LogLevel.Warning,
        Message = "{Heals} heals in the last minute: another writer keeps removing or changing the protected entry. Likely a plugin that ships its own mcpServers entry for a protected name, or a second self-heal with another spec; set Guardian:DriftPolicy=Keep or align the specs")]
    public static partial void FightingAnotherWriter(ILogger logger, int heals);

    [LoggerMessage(EventId = (int)GuardianEvent.Stopping, EventName = nameof(GuardianEvent.Stopping), Level = LogLevel.Information,
        Message = "Stopping: the watch is closed")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = (int)GuardianEvent.HealLoopFailed, EventName = nameof(GuardianEvent.HealLoopFailed), Level = LogLevel.Error,
        Message = "A heal failed unexpectedly ({Trigger}); it counts as a failed heal and is retried like one")]
    public static partial void HealLoopFailed(ILogger logger, Exception exception, HealTrigger trigger);

    [LoggerMessage(EventId = (int)GuardianEvent.ConfigurationInvalid, EventName = nameof(GuardianEvent.ConfigurationInvalid), Level = LogLevel.Critical,
        Message = "Invalid configuration: {Errors}")]
    public static partial void ConfigurationInvalid(ILogger logger, string errors);

    [LoggerMessage(EventId = (int)GuardianEvent.CheckFailed, EventName = nameof(GuardianEvent.CheckFailed), Level = LogLevel.Warning,
        Message = "Check failed for {SettingsPath}: {Result}")]
    public static partial void CheckFailed(ILogger logger, string settingsPath, string result);

    [LoggerMessage(EventId = (int)GuardianEvent.SettingRetired, EventName = nameof(GuardianEvent.SettingRetired), Level = LogLevel.Warning,
        Message = "{Setting} is set but no longer has an effect: a change is healed at once, and changes during a heal coalesce into one more. Remove it")]
    public static partial void SettingRetired(ILogger logger, string setting);

    [LoggerMessage(EventId = (int)GuardianEvent.IdentitySwitched, EventName = nameof(GuardianEvent.IdentitySwitched), Level = LogLevel.Information,
        Message = "Started as root; acting as uid {Uid} gid {Gid} from now on, with no supplementary groups, because {Reason}")]
    public static partial void IdentitySwitched(ILogger logger, uint uid, uint gid, string reason);

    [LoggerMessage(EventId = (int)GuardianEvent.ImpostorEntry, EventName = nameof(GuardianEvent.ImpostorEntry), Level = LogLevel.Error,
        Message = "{Server} in {SettingsPath} holds an entry of none of its accepted shapes (command {Command}); the runtime hands the org-admin environment to whatever holds that name. {Action}")]
    public static partial void ImpostorEntry(ILogger logger, string server, string command, string settingsPath, string action);

    [LoggerMessage(EventId = (int)GuardianEvent.EntryNotRestorable, EventName = nameof(GuardianEvent.EntryNotRestorable), Level = LogLevel.Error,
        Message = "{Server} is out of {SettingsPath} and cannot be restored: {Reason}. The file is left without it, so the platform's own recovery sees it missing")]
    public static partial void EntryNotRestorable(ILogger logger, string server, string settingsPath, string reason);

    [LoggerMessage(EventId = (int)GuardianEvent.EntryRemembered, EventName = nameof(GuardianEvent.EntryRemembered), Level = LogLevel.Information,
        Message = "{Server} in {SettingsPath} is the platform's entry (shape {Shape}); it is what the guardian puts back if it goes")]
    public static partial void EntryRemembered(ILogger logger, string server, string shape, string settingsPath);

    [LoggerMessage(EventId = (int)GuardianEvent.BackingOff, EventName = nameof(GuardianEvent.BackingOff), Level = LogLevel.Warning,
        Message = "Each of {Rounds} heal rounds lost a race ({Detail}); backing off {DelayMs} ms before the next (changes until then wait for it)")]
    public static partial void BackingOff(ILogger logger, int rounds, double delayMs, string detail);

    [LoggerMessage(EventId = (int)GuardianEvent.IdentityKept, EventName = nameof(GuardianEvent.IdentityKept), Level = LogLevel.Information,
        Message = "Started as root; acting as root in {Directory} from now on, because {Reason}")]
    public static partial void IdentityKept(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = (int)GuardianEvent.DirectoryUnreachable, EventName = nameof(GuardianEvent.DirectoryUnreachable), Level = LogLevel.Warning,
        Message = "Cannot reach {Directory} to watch it ({Error}): {Hint}; trying again every {PollMs} ms")]
    public static partial void DirectoryUnreachable(ILogger logger, string directory, string error, string hint, double pollMs);

    [LoggerMessage(EventId = (int)GuardianEvent.MetricsExportEnabled, EventName = nameof(GuardianEvent.MetricsExportEnabled), Level = LogLevel.Information,
        Message = "Exporting the MoleculeGuardian meter to {Endpoint} over {Protocol} every {IntervalMs} ms as {ServiceName}")]
    public static partial void MetricsExportEnabled(ILogger logger, string endpoint, string protocol, double intervalMs, string serviceName);

    [LoggerMessage(EventId = (int)GuardianEvent.MetricsExportFailing, EventName = nameof(GuardianEvent.MetricsExportFailing), Level = LogLevel.Warning,
        Message = "Metrics export to {Endpoint} failed ({Error}); healing is unaffected and the figures are sent once the collector answers. Logged once per outage")]
    public static partial void MetricsExportFailing(ILogger logger, string endpoint, string error);

    [LoggerMessage(EventId = (int)GuardianEvent.MetricsExportRecovered, EventName = nameof(GuardianEvent.MetricsExportRecovered), Level = LogLevel.Information,
        Message = "Metrics export to {Endpoint} works again after {FailedExports} failed exports over {OutageSeconds:0.0} s")]
    public static partial void MetricsExportRecovered(ILogger logger, string endpoint, int failedExports, double outageSeconds);

    [LoggerMessage(EventId = (int)GuardianEvent.MetricsExportUnavailable, EventName = nameof(GuardianEvent.MetricsExportUnavailable), Level = LogLevel.Warning,
        Message = "Metrics export is configured (an OTLP endpoint is set) but this binary has no exporter: healing goes on without export. Run {Binary} for export")]
    public static partial void MetricsExportUnavailable(ILogger logger, string binary);
}
