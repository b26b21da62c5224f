namespace MoleculeGuardian.Tests.Deploy;

/// <summary>
/// Finds a tool the deploy tests run. A missing tool fails the test and names the Debian package to install: a check
/// that silently passes when it cannot run would prove nothing.
/// </summary>
internal static class RequiredTool
{
    public static string Find(string name, string debianPackage)
    {
        if (MoleculeGuardian.Tests.Support.Requires.FindOnPath(name) is { } found)
        {
            return found;
        }

        Assert.Fail($"'{name}' was not found on PATH. Install the Debian package '{debianPackage}' (apt-get install {debianPackage}).");
        return name;
    }
}
