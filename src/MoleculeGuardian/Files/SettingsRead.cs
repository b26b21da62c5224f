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

    /// <summary>The file changed since it was read, or the name no longer holds what was written: read and heal again.</summary>
    Conflict,

    /// <summary>Nothing was written, and the same write would be refused again; <see cref="ReplaceResult.Reason"/> says why.</summary>
    Refused,
}

/// <summary>What a replace did.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="RenamedAt">When the new file took the name, the moment readers began to see it (before the directory flush).</param>
/// <param name="Reason">Why it was refused.</param>
internal readonly record struct ReplaceResult(ReplaceOutcome Outcome, DateTimeOffset? RenamedAt = null, string Reason = "")
{
    public static ReplaceResult Conflict => new(ReplaceOutcome.Conflict);
}

/// <summary>Why original bytes are kept: the name of the copy says it.</summary>
internal enum QuarantineKind
{
    /// <summary>Unparseable, or a root or <c>mcpServers</c> that is not an object.</summary>
    Corrupt,

    /// <summary>A drifted entry replaced, or repeated keys folded.</summary>
    Replaced,
}
