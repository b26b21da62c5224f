using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// A fresh directory in memory (under /dev/shm, a tmpfs), for tests that make thousands of files: creating a file on
/// the ext4 /tmp costs about a millisecond on a busy machine, on a tmpfs some microseconds. Falls back to /tmp where
/// there is no /dev/shm. Removed afterwards.
/// </summary>
internal sealed class MemoryTempDirectory : IDisposable
{
    private readonly TempDirectory? _fallback;

    public MemoryTempDirectory()
    {
        if (Directory.Exists("/dev/shm"))
        {
            Path = Directory.CreateDirectory(System.IO.Path.Combine("/dev/shm", "mg-test-" + Guid.NewGuid().ToString("N")[..12])).FullName;
        }
        else
        {
            _fallback = new TempDirectory();
            Path = _fallback.Path;
        }
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        if (_fallback is not null)
        {
            _fallback.Dispose();
            return;
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort, as TempDirectory.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
