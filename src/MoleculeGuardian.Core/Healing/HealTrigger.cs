namespace MoleculeGuardian.Healing;

/// <summary>Why a heal ran. Logged with every heal.</summary>
internal enum HealTrigger
{
    Startup,
    Watch,
    Periodic,
    Retry,
    Rescan,
    Command,

    /// <summary>A torn read's settle delay passed without a change to the file.</summary>
    Settle,
}
