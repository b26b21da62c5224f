namespace MoleculeGuardian.Hosting;

/// <summary>Why a heal ran. Logged with every heal.</summary>
public enum HealTrigger
{
    Startup,
    Watch,
    Periodic,
    Retry,
    Rescan,
    Command,
}
