namespace MoleculeGuardian.Tests.Deploy;

/// <summary>
/// Finds a tool the deploy tests run. A missing tool fails the test and names the Debian package to install: a check
/// that silently passes when it cannot run would prove nothing.
/// </summary>
internal static class RequiredTool
{
    public static string Find(string name, string debianPackage)
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

        Assert.Fail($"'{name}' was not found on PATH. Install the Debian package '{debianPackage}' (apt-get install {debianPackage}).");
        return name;
    }
}
