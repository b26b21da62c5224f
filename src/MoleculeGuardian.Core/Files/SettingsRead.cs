namespace MoleculeGuardian.Files;

internal enum ReadStatus
{
    /// <summary>A regular file was read; <see cref="SettingsRead.Bytes"/> and <see cref="SettingsRead.Stat"/> hold it.</summary>
    Present,

    /// <summary>The directory exists; the file does not.</summary>
    Absent,

    /// <summary>The settings directory itself is missing.</summary>
    DirectoryMissing,

    /// <summary>Something is there that must not be read or replaced; <see cref="SettingsRead.Reason"/> says what.</summary>
    Refused,
}

/// <summary>
/// One read of the settings file: what was there, the bytes a later replace must still find, and the directory handle
/// it was found through (present or absent), which the replace and the quarantine act through. Disposing it closes
/// that handle.
/// </summary>
internal sealed record SettingsRead(ReadStatus Status, byte[] Bytes, FileStat? Stat, string Reason, SettingsDirectory? Directory = null) : IDisposable
{
    public static SettingsRead DirectoryMissing { get; } = new(ReadStatus.DirectoryMissing, [], null, "");

    public static SettingsRead AbsentIn(SettingsDirectory directory) => new(ReadStatus.Absent, [], null, "", directory);

    public static SettingsRead Refused(string reason, FileStat? stat = null) => new(ReadStatus.Refused, [], stat, reason);

    public void Dispose() => Directory?.Dispose();
}

internal enum ReplaceOutcome
{
    Replaced,

    /// <summary>
    /// The file changed since it was read, or the name no longer holds what was written: read and heal again.
    /// <see cref="ReplaceResult.Cause"/> says which.
    /// </summary>
    Conflict,

    /// <summary>Nothing was written, and the same write would be refused again; <see cref="ReplaceResult.Reason"/> says why.</summary>
    Refused,
}

/// <summary>
/// What a replace saw that made it a conflict: another writer acted on the file between the heal's read and its
/// rename. Each names what the store observed, never who did it (the store cannot know which plugin that was).
/// </summary>
internal enum ConflictCause
{
    /// <summary>Not a conflict.</summary>
    None,

    /// <summary>The read found no file, and by the rename there was one.</summary>
    Appeared,

    /// <summary>The file was removed (or renamed away) after the read.</summary>
    Removed,

    /// <summary>The same file, written, truncated, or with its owner or mode changed after the read (its size or times differ).</summary>
    Written,

    /// <summary>The name holds another file than the one read: a rename-replace after the read.</summary>
    Replaced,

    /// <summary>The exchange swapped out a file that no longer held what was read: a writer changed it at that moment. Put back.</summary>
    ContentChanged,

    /// <summary>A writer opened the swapped-out file for writing while the guardian held its read lease (the lease broke). Put back.</summary>
    WriterOpened,

    /// <summary>Another process had the swapped-out file open for writing (no read lease could be had): its next write would be lost. Put back.</summary>
    WriterHolds,

    /// <summary>Right after the guardian's rename the name already held another file: another writer's rename came just after.</summary>
    Overtaken,
}

/// <summary>The plain-words description of each <see cref="ConflictCause"/>, for the heal loop's log line.</summary>
internal static class ConflictCauses
{
    public static string Describe(this ConflictCause cause) => cause switch
    {
        ConflictCause.None => "no conflict",
        ConflictCause.Appeared => "the file was created by another writer after the heal found it missing",
        ConflictCause.Removed => "the file was removed after the heal read it",
        ConflictCause.Written => "the file was written (or its owner or mode changed) after the heal read it",
        ConflictCause.Replaced => "another file took the settings file's name after the heal read it",
        ConflictCause.ContentChanged => "the file the heal swapped out no longer held what the heal had read: a writer changed it at that moment, and it was put back",
        ConflictCause.WriterOpened => "a writer opened the file the heal swapped out for writing (the guardian's read lease broke), and it was put back for that writer",
        ConflictCause.WriterHolds => "another process has the file open for writing (its next write would have gone into a file nobody reads), so it was put back",
        ConflictCause.Overtaken => "another file took the settings file's name right after the heal's rename",
        _ => "an unknown conflict",
    };
}

/// <summary>What a replace did.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="RenamedAt">When the new file took the name, the moment readers began to see it (before the directory flush).</param>
/// <param name="Reason">Why it was refused, or what the conflict was, in plain words.</param>
/// <param name="Cause">What made it a conflict; <see cref="ConflictCause.None"/> otherwise.</param>
internal readonly record struct ReplaceResult(ReplaceOutcome Outcome, DateTimeOffset? RenamedAt = null, string Reason = "", ConflictCause Cause = ConflictCause.None)
{
    public static ReplaceResult Conflict(ConflictCause cause) => new(ReplaceOutcome.Conflict, Reason: cause.Describe(), Cause: cause);
}

/// <summary>Why original bytes are kept: the name of the copy says it.</summary>
internal enum QuarantineKind
{
    /// <summary>Unparseable, or a root or <c>mcpServers</c> that is not an object.</summary>
    Corrupt,

    /// <summary>A drifted entry replaced, or repeated keys folded.</summary>
    Replaced,
}
