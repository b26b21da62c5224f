namespace MoleculeGuardian.Tests.Support;

/// <summary>
/// What a test needs beyond the .NET SDK: tools from Debian packages, or root. On a developer's machine a test whose
/// needs are not met is reported as skipped, naming what is missing and how to get it; under CI (<c>CI=true</c>) it
/// is never skipped, so a missing tool fails it there (the test finds its tools through <see cref="Deploy.RequiredTool"/>,
/// which fails naming the package) and CI still proves everything.
/// </summary>
internal static class Requires
{
    /// <summary>The Debian package each tool comes from.</summary>
    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["shellcheck"] = "shellcheck",
        ["systemd-analyze"] = "systemd",
        ["strace"] = "strace",
        ["setpriv"] = "util-linux",
        ["python3"] = "python3",
        ["podman"] = "podman",
        ["bash"] = "bash",
        ["unshare"] = "util-linux",
        ["tini"] = "tini",
        ["setfacl"] = "acl",
    };

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => Environment.UserName == "root" || Posix.EffectiveUid() == 0;

    public static string Package(string tool) => Packages.TryGetValue(tool, out var package) ? package : tool;

    /// <summary>Null when the test can run (or must run: under CI); otherwise the skip reason.</summary>
    public static string? SkipReason(bool root, IReadOnlyList<string> tools)
    {
        if (InCi)
        {
            return null;
        }

        var missing = tools.Where(t => FindOnPath(t) is null).ToList();
        var reasons = new List<string>();
        if (missing.Count > 0)
        {
            reasons.Add($"needs {string.Join(", ", missing)} on PATH (apt-get install {string.Join(" ", missing.Select(Package).Distinct())})");
        }

        if (root && !IsRoot)
        {
            reasons.Add("needs root (it acts as another user); CI runs it as root");
        }

        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)
                && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>For a test that needs root: fails (under CI, where it was not skipped) when the process is not root.</summary>
    public static void AssertRoot() =>
        Assert.True(IsRoot, "this test acts as another user and needs root; CI runs as root");
}

/// <summary>A fact that needs the named tools (and root, with <see cref="Root"/>): skipped off CI when they are missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class RequiresFactAttribute : FactAttribute
{
    private readonly string[] _tools;
    private bool _root;

    public RequiresFactAttribute(params string[] tools)
    {
        _tools = tools;
        Skip = Requires.SkipReason(false, tools);
    }

    public bool Root
    {
        get => _root;
        set
        {
            _root = value;
            Skip = Requires.SkipReason(value, _tools);
        }
    }
}

/// <summary>A theory that needs the named tools (and root, with <see cref="Root"/>): skipped off CI when they are missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class RequiresTheoryAttribute : TheoryAttribute
{
    private readonly string[] _tools;
    private bool _root;

    public RequiresTheoryAttribute(params string[] tools)
    {
        _tools = tools;
        Skip = Requires.SkipReason(false, tools);
    }

    public bool Root
    {
        get => _root;
        set
        {
            _root = value;
            Skip = Requires.SkipReason(value, _tools);
        }
    }
}
