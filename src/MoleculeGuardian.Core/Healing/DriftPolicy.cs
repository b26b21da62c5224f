namespace MoleculeGuardian.Healing;

/// <summary>What to do with a protected entry that is present but differs from its canonical spec.</summary>
internal enum DriftPolicy
{
    /// <summary>Replace it with the canonical spec (the runtime's own self-heal does the same).</summary>
    Replace,

    /// <summary>Leave it: only missing entries are added (the plugin's own, richer entry wins).</summary>
    Keep,
}
