namespace MoleculeGuardian.Watching;

internal enum WatchSignal
{
    /// <summary>The settings file was written, created, deleted or renamed: heal (at once, or right after the heal in flight).</summary>
    Changed,

    /// <summary>Events may have been lost (error, overflow, new directory): heal now.</summary>
    Rescan,
}
