using System.Globalization;

namespace MoleculeGuardian.Tests.Support;

/// <summary>
/// Executables that stand in for the platform's MCP commands, so a guardian started by a test finds the command it
/// would write on PATH (it never writes one that does not resolve). Made once per test run in a directory every user
/// can read and search, since the privilege tests run the guardian as uid 1000.
/// </summary>
internal static class StubCommands
{
    private static readonly Lazy<string> Baked = new(() => Make("mg-baked-", "molecule-platform-mcp"));
    private static readonly Lazy<string> Today = new(() => Make("mg-today-", "npx"));

    /// <summary>A directory with <c>molecule-platform-mcp</c>: the baked image's world.</summary>
    public static string BakedDirectory => Baked.Value;

    /// <summary>A directory with <c>npx</c> only: today's image, where the management plugin's entry runs through npx.</summary>
    public static string TodayDirectory => Today.Value;

    /// <summary><paramref name="directory"/> in front of the PATH this test process has.</summary>
    public static string PathWith(string directory) =>
        directory + ":" + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");

    private static string Make(string prefix, string name)
    {
        var directory = Directory.CreateTempSubdirectory(prefix).FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)Convert.ToInt32("755", 8));
        var stub = Path.Combine(directory, name);
        File.WriteAllText(stub, "#!/bin/sh\n# A stand-in for " + name + string.Create(CultureInfo.InvariantCulture, $" made by the tests ({DateTime.UtcNow:O})\nexit 0\n"));
        File.SetUnixFileMode(stub, (UnixFileMode)Convert.ToInt32("755", 8));
        return directory;
    }
}
