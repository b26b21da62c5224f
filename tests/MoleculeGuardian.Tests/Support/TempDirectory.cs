namespace MoleculeGuardian.Tests.Support;

/// <summary>A fresh directory under /tmp for one test, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("mg-test-").FullName;
    }

    public string Path { get; }

    /// <summary>The settings file the tests guard: &lt;temp&gt;/.claude/settings.json (directory created).</summary>
    public string SettingsPath(bool createDirectory = true)
    {
        var dir = System.IO.Path.Combine(Path, ".claude");
        if (createDirectory)
        {
            Directory.CreateDirectory(dir);
        }

        return System.IO.Path.Combine(dir, "settings.json");
    }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a FIFO or a file held open by a finished process must not fail the test.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
