namespace MoleculeGuardian.Files;

public enum ReadStatus
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

/// <summary>One read of the settings path: what was there, and the bytes a later replace must still find.</summary>
public sealed record SettingsRead(ReadStatus Status, byte[] Bytes, FileStat? Stat, string Reason)
{
    public static SettingsRead Absent { get; } = new(ReadStatus.Absent, [], null, "");

    public static SettingsRead DirectoryMissing { get; } = new(ReadStatus.DirectoryMissing, [], null, "");

    public static SettingsRead Refused(string reason, FileStat? stat = null) => new(ReadStatus.Refused, [], stat, reason);
}

public enum ReplaceOutcome
{
    Replaced,

    /// <summary>The file changed since it was read; nothing was replaced. Read and heal again.</summary>
    Conflict,
}
