using System.Text.RegularExpressions;

namespace MoleculeGuardian.Configuration;

/// <summary>
/// <c>${NAME}</c> in a protected spec's <c>Env</c> and <c>Headers</c> values: replaced by the guardian's own
/// environment variable, so a deployer can describe the platform's entry with the org values the container already
/// has, without writing them into configuration. There is no escape: a value cannot contain a literal <c>${</c>.
/// </summary>
internal static partial class EnvReference
{
    /// <summary>The names a value refers to.</summary>
    public static IEnumerable<string> Names(string value) => Reference().Matches(value).Select(m => m.Groups[1].Value);

    /// <summary>True when every <c>${</c> in the value starts a well-formed reference.</summary>
    public static bool IsWellFormed(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return !Reference().Replace(value, "").Contains("${", StringComparison.Ordinal);
    }

    /// <summary>The value with every reference replaced; null when a variable is unset (<paramref name="missing"/> names it).</summary>
    public static string? Expand(string value, Func<string, string?> variable, out string? missing)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? unset = null;
        var expanded = Reference().Replace(value, m => variable(m.Groups[1].Value) ?? (unset ??= m.Groups[1].Value));
        missing = unset;
        return unset is null ? expanded : null;
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();
}
