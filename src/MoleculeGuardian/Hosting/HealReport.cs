using MoleculeGuardian.Healing;

namespace MoleculeGuardian.Hosting;

public enum HealStatus
{
    /// <summary>Already compliant: nothing written.</summary>
    NoChange,

    /// <summary>Changes were written (or, for a dry run, would be).</summary>
    Healed,

    /// <summary>The directory does not exist yet.</summary>
    DirectoryMissing,

    /// <summary>The path holds something the guardian must not touch (symlink, FIFO, too large...).</summary>
    Refused,

    /// <summary>Another writer kept changing the file under us; try again later.</summary>
    Conflict,

    /// <summary>A system call failed; try again later.</summary>
    Failed,
}

/// <summary>What one heal did, for logs, metrics, exit codes and the retry policy.</summary>
public sealed record HealReport(HealStatus Status, IReadOnlyList<HealChange> Changes, string? Quarantined = null, string? Detail = null, int Bytes = 0)
{
    public static HealReport Of(HealStatus status, string? detail = null) => new(status, [], Detail: detail);

    public bool Succeeded => Status is HealStatus.NoChange or HealStatus.Healed;
}
