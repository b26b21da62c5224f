namespace MoleculeGuardian.Logging;

/// <summary>
/// Every event the guardian logs, with its stable id. Ids are never reused or renumbered:
/// a retired event keeps its number, commented out. The README lists them all.
/// </summary>
internal enum GuardianEvent
{
    Started = 1,
    GateIdle = 2,
    Healed = 3,
    AlreadyHealthy = 4,
    WouldHeal = 5,
    Quarantined = 6,
    TornRead = 7,
    WriteConflict = 8,
    IoFailed = 9,
    Refused = 10,
    WaitingForDirectory = 11,
    DirectoryAppeared = 12,
    WatchRebuilt = 13,
    PollingFallback = 14,
    WatcherError = 15,
    StaleTempRemoved = 16,
    RetryScheduled = 17,
    FightingAnotherWriter = 18,
    Stopping = 19,
    HealLoopFailed = 20,
    ConfigurationInvalid = 21,
    CheckFailed = 22,
    SettingRetired = 23,
    IdentitySwitched = 24,
    ImpostorEntry = 25,
    EntryNotRestorable = 26,
    EntryRemembered = 27,
    BackingOff = 28,

    // 30-34: metrics export (OpenTelemetry).
    MetricsExportEnabled = 30,
    MetricsExportFailing = 31,
    MetricsExportRecovered = 32,
    // MetricsExportHandover = 33: retired with the execv handover; the deployer picks molecule-guardian-otel.
    MetricsExportUnavailable = 34,

    // 38-39: reaching the watched directory, and whom a guardian started as root acts as.
    DirectoryUnreachable = 38,
    IdentityKept = 39,

    // The supervisor (`molecule-guardian-supervise`, the container's entrypoint): 40-49.
    RuntimeStarted = 40,
    RuntimeExited = 41,
    GuardianStarted = 42,
    GuardianExited = 43,
    GuardianGaveUp = 44,
    SignalForwarded = 45,
    StartupHealFailed = 46,
    StoppedBeforeRuntime = 47,
    ChildKilled = 48,
    StartFailed = 49,

    // The supervisor, continued: 50-54.
    SignalPassedOn = 50,
    SignalsRepeated = 51,
}
