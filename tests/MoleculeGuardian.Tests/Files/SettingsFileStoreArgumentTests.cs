using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// What the store refuses to be called with (a missing read, a read that found no directory), in words a caller's
/// bug report can quote, and the quarantine's bound on names it tries.
/// </summary>
public sealed class SettingsFileStoreArgumentTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public SettingsFileStoreArgumentTests()
    {
        _path = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void OwnerRefusal_Null_ThrowsNamingTheBasis()
    {
        Assert.Throws<ArgumentNullException>("basis", () => Store().OwnerRefusal(null!));
    }

    [Fact]
    public void Replace_ReadWithoutADirectory_ThrowsSayingSoAndWritesNothing()
    {
        var fs = new FaultyFileSystemCalls();

        var ex = Assert.Throws<ArgumentException>("basis", () => Store(fs).Replace(SettingsRead.DirectoryMissing, Healed));

        Assert.StartsWith("only a read that found the directory can be replaced", ex.Message, StringComparison.Ordinal);
        Assert.Empty(fs.Trace);
    }

    [Fact]
    public void Quarantine_ReadWithoutADirectory_ThrowsSayingSoAndWritesNothing()
    {
        var fs = new FaultyFileSystemCalls();
        var refused = SettingsRead.Refused("the settings path is a directory");

        var ex = Assert.Throws<ArgumentException>("basis", () => Store(fs).Quarantine(refused, QuarantineKind.Corrupt, keep: 5));

        Assert.StartsWith("only a read that found the directory can be quarantined", ex.Message, StringComparison.Ordinal);
        Assert.Empty(fs.Trace);
    }

    [Fact]
    public void Quarantine_EveryNameTaken_GivesUpWithEexistAfterTheBaseNameAnd999Numbered()
    {
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.CreateExclusiveAt, Errno.EEXIST, nth: 0);

        var ex = Assert.Throws<PosixException>(() => Store(fs).Quarantine(Original, "corrupt", null, keep: 5));

        Assert.Equal(Errno.EEXIST, ex.ErrorNumber);
        Assert.Equal(1000, fs.Calls(FsOp.CreateExclusiveAt));
        Assert.EndsWith("-999", ex.Path, StringComparison.Ordinal);
    }

    private SettingsFileStore Store(FaultyFileSystemCalls? fs = null) => TestHealers.Store(TestHealers.Options(_path), fs);
}
