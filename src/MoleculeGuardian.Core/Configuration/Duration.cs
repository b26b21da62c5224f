using System.Globalization;
using System.Text.RegularExpressions;

namespace MoleculeGuardian.Configuration;

/// <summary>
/// Reads duration settings: a number with a unit (<c>500ms</c>, <c>2s</c>, <c>1.5m</c>, <c>1h</c>) or a span with
/// colons (<c>00:00:00.500</c>, .NET's constant format). A number without a unit is refused: .NET alone would read
/// <c>1</c> as one day.
/// </summary>
internal static partial class Duration
{
    /// <summary>What a valid value looks like, for error messages.</summary>
    public const string Expected = "a duration with a unit, such as 500ms, 2s, 5m or 1h (or hh:mm:ss.fff)";

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (text is null)
        {
            return false;
        }

        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out value);
        }

        var match = WithUnit().Match(text);
        if (!match.Success || !decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        var ticksPerUnit = match.Groups[2].Value.ToLowerInvariant() switch
        {
            "ms" => TimeSpan.TicksPerMillisecond,
            "s" => TimeSpan.TicksPerSecond,
            "m" => TimeSpan.TicksPerMinute,
            _ => TimeSpan.TicksPerHour,
        };
        if (amount > TimeSpan.MaxValue.Ticks / ticksPerUnit)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)decimal.Round(amount * ticksPerUnit));
        return true;
    }

    [GeneratedRegex(@"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)\s*$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex WithUnit();
}
