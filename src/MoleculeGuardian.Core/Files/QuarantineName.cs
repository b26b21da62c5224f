using System.Globalization;

namespace MoleculeGuardian.Files;

/// <summary>
/// The name of a quarantine copy: <c>settings.json.corrupt-20261204T193012.123Z</c>, with <c>-N</c> added when two
/// copies fall in one millisecond. Only a name of exactly this form counts as a copy: prefix-alike names are somebody
/// else's and are left alone.
/// </summary>
internal readonly record struct QuarantineName(string FileName, QuarantineKind Kind, DateTime Stamp, int Sequence = 0)
{
    private const string StampFormat = "yyyyMMdd'T'HHmmss.fff'Z'";
    private const int StampLength = 20;

    public string Name => $"{FileName}.{KindText(Kind)}-{Stamp.ToString(StampFormat, CultureInfo.InvariantCulture)}"
        + (Sequence > 0 ? "-" + Sequence.ToString(CultureInfo.InvariantCulture) : "");

    /// <summary>Orders copies: by time, then by sequence.</summary>
    public (DateTime, int) Order => (Stamp, Sequence);

    /// <summary>The copy's name for a moment: the time as the name holds it, to the millisecond, so it orders like a parsed name.</summary>
    public static QuarantineName For(string fileName, QuarantineKind kind, DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        return new(fileName, kind, DateTime.SpecifyKind(utc.AddTicks(-(utc.Ticks % TimeSpan.TicksPerMillisecond)), DateTimeKind.Utc));
    }

    public static string KindText(QuarantineKind kind) => kind == QuarantineKind.Corrupt ? "corrupt" : "replaced";

    /// <summary>Reads a directory entry's name back; null unless it is exactly a copy of this kind.</summary>
    public static QuarantineName? TryParse(string name, string fileName, QuarantineKind kind)
    {
        ArgumentNullException.ThrowIfNull(name);
        var prefix = $"{fileName}.{KindText(kind)}-";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || name.Length < prefix.Length + StampLength
            || !DateTime.TryParseExact(name.AsSpan(prefix.Length, StampLength), StampFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var stamp))
        {
            return null;
        }

        var rest = name.AsSpan(prefix.Length + StampLength);
        if (rest.IsEmpty)
        {
            return new QuarantineName(fileName, kind, stamp);
        }

        return rest[0] == '-' && rest.Length is > 1 and <= 4 && rest[1] != '0'
            && int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? new QuarantineName(fileName, kind, stamp, sequence)
            : null;
    }
}
