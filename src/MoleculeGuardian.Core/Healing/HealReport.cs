namespace MoleculeGuardian.Healing;

internal enum HealStatus
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

    /// <summary>
    /// The file was empty, unparseable or missing: another writer is taken to be mid-operation. Nothing was written;
    /// look again at the file's next change, or after <see cref="HealReport.SettleIn"/>, when a file that stayed as it
    /// was counts as corrupt (or, if missing, is created).
    /// </summary>
    Torn,
}

/// <summary>What one heal did, for logs, metrics, exit codes and the retry policy.</summary>
/// <param name="Status">The outcome.</param>
/// <param name="Changes">What was (or, for a dry run, would be) changed: names and kinds, never values.</param>
/// <param name="Quarantined">Where the original bytes were kept, when the heal dropped any.</param>
/// <param name="Detail">Why a heal was refused or failed.</param>
/// <param name="Bytes">The size of the file written.</param>
/// <param name="AbsentFor">
/// For a heal that wrote: how long the protected entry had been out of the file, from the modification time of the
/// file the heal replaced to the heal's rename. Null when there was no file to date it by.
/// </param>
/// <param name="SettleIn">For <see cref="HealStatus.Torn"/>: when to look again if the file does not change first.</param>
/// <param name="Conflicts">How many times this heal had a write to make and lost the race to another writer.</param>
internal sealed record HealReport(HealStatus Status, IReadOnlyList<HealChange> Changes, string? Quarantined = null, string? Detail = null, int Bytes = 0,
    TimeSpan? AbsentFor = null, TimeSpan? SettleIn = null, int Conflicts = 0)
{
    public static HealReport Of(HealStatus status, string? detail = null) => new(status, [], Detail: detail);

    /// <summary>
    /// Protected entries still out or wrong after this heal: nothing runnable could be put there (reported as
    /// <c>EntryNotRestorable</c>), or an impostor kept under <c>DriftPolicy=Keep</c>.
    /// </summary>
    public IReadOnlyList<string> LeftOut { get; init; } = [];

    /// <summary>The heal ran to its end (nothing written, or written).</summary>
    public bool Succeeded => Status is HealStatus.NoChange or HealStatus.Healed;

    /// <summary>Every protected entry is now in the file, of an accepted shape.</summary>
    public bool Compliant => Succeeded && LeftOut.Count == 0;
}
