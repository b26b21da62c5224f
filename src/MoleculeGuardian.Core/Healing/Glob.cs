namespace MoleculeGuardian.Healing;

/// <summary>
/// The patterns of accepted shapes: literal text in which <c>*</c> matches any run of characters (none included) and
/// <c>|</c> separates alternatives. Case-sensitive, as the environment and npx are.
/// </summary>
internal static class Glob
{
    public static bool Matches(string pattern, string text)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(text);
        foreach (var alternative in pattern.Split('|'))
        {
            if (MatchesOne(alternative, text))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Greedy with backtracking to the last star: linear for the patterns shapes use, never exponential.</summary>
    private static bool MatchesOne(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
