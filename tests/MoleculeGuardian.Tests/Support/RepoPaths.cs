namespace MoleculeGuardian.Tests.Support;

/// <summary>Locates files of the repository from the test binary's folder.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MoleculeGuardian.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("MoleculeGuardian.sln not found above " + AppContext.BaseDirectory);
    }
}
