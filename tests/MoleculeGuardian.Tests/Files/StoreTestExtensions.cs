using MoleculeGuardian.Files;

namespace MoleculeGuardian.Tests.Files;

/// <summary>Shorthands for store tests that start from bytes rather than from a read of the file.</summary>
internal static class StoreTestExtensions
{
    /// <summary>Quarantines <paramref name="bytes"/> as if a read had found them, owned by <paramref name="owner"/>, in the store's directory.</summary>
    public static string Quarantine(this SettingsFileStore store, byte[] bytes, string kind, FileStat? owner, int keep)
    {
        var dir = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, store.Directory, privileged: false).Directory
            ?? throw new DirectoryNotFoundException(store.Directory);
        using var basis = new SettingsRead(ReadStatus.Present, bytes, owner, "", dir);
        return store.Quarantine(basis, kind == "corrupt" ? QuarantineKind.Corrupt : QuarantineKind.Replaced, keep);
    }
}
