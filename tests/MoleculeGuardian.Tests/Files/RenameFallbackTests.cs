using System.Text;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// A file system without <c>RENAME_NOREPLACE</c> or <c>RENAME_EXCHANGE</c> (EINVAL, ENOSYS or EOPNOTSUPP): the store
/// falls back to a plain rename, and then the look it takes just before is all that keeps another writer's update.
/// </summary>
public sealed class RenameFallbackTests : IDisposable
{
    private static readonly byte[] Original = Encoding.UTF8.GetBytes("{\n  \"hooks\": {}\n}\n");
    private static readonly byte[] Healed = Encoding.UTF8.GetBytes("{\n  \"hooks\": {},\n  \"mcpServers\": {}\n}\n");
    private static readonly byte[] Theirs = Encoding.UTF8.GetBytes("{\n  \"hooks\": {},\n  \"theirs\": \"a longer view\"\n}\n");
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public RenameFallbackTests()
    {
        _path = _temp.SettingsPath();
    }

    public static TheoryData<int> Unsupported => new() { Errno.EINVAL, Errno.ENOSYS, Errno.EOPNOTSUPP };

    public void Dispose() => _temp.Dispose();

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void Replace_ExchangeUnsupported_ReplacedByPlainRenameAndDirectoryFlushed(int errno)
    {
        File.WriteAllBytes(_path, Original);
        var fs = new FaultyFileSystemCalls().FailRename(RenameMode.Exchange, errno);
        var store = Store(fs);

        var outcome = store.Replace(store.Read(), Healed);

        Assert.Equal(ReplaceOutcome.Replaced, outcome);
        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Equal([RenameMode.Replace], fs.Renames.Select(r => r.Mode));
        Assert.Equal((FsOp.FsyncDirectory, store.Directory), fs.Trace.Last());
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void Replace_ExchangeUnsupportedAndWriterRewroteAfterTheRead_ConflictAndWriterContentIntact(int errno)
    {
        // No exchange means nothing shows what a plain rename displaced: the fingerprint check must stop it first.
        File.WriteAllBytes(_path, Original);
        var fs = new FaultyFileSystemCalls().FailRename(RenameMode.Exchange, errno);
        var store = Store(fs);
        var read = store.Read();
        File.WriteAllBytes(_path, Theirs); // the runtime's truncate-then-write: same inode, new size

        var outcome = store.Replace(read, Healed);

        Assert.Equal(ReplaceOutcome.Conflict, outcome);
        Assert.Equal(Theirs, File.ReadAllBytes(_path));
        Assert.Empty(fs.Renames);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void Replace_NoReplaceUnsupported_NewFileCreatedByPlainRename(int errno)
    {
        var fs = new FaultyFileSystemCalls().FailRename(RenameMode.NoReplace, errno);
        var store = Store(fs);
        var read = store.Read();
        Assert.Equal(ReadStatus.Absent, read.Status);

        var outcome = store.Replace(read, Healed);

        Assert.Equal(ReplaceOutcome.Replaced, outcome);
        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Equal([RenameMode.Replace], fs.Renames.Select(r => r.Mode));
        Assert.Equal((FsOp.FsyncDirectory, store.Directory), fs.Trace.Last());
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void Replace_NoReplaceUnsupportedAndFileCreatedAfterTheRead_ConflictAndWriterContentIntact(int errno)
    {
        var fs = new FaultyFileSystemCalls().FailRename(RenameMode.NoReplace, errno);
        var store = Store(fs);
        var read = store.Read();
        File.WriteAllBytes(_path, Theirs);

        var outcome = store.Replace(read, Healed);

        Assert.Equal(ReplaceOutcome.Conflict, outcome);
        Assert.Equal(Theirs, File.ReadAllBytes(_path));
        Assert.Empty(fs.Renames);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_ExchangeFailsWithAnotherErrno_ThrowsAndNoPlainRename()
    {
        // Only "not supported" falls back; an I/O error is an error, not a reason to rename without the exchange.
        File.WriteAllBytes(_path, Original);
        var fs = new FaultyFileSystemCalls().FailRename(RenameMode.Exchange, Errno.EIO);
        var store = Store(fs);

        var ex = Assert.Throws<PosixException>(() => store.Replace(store.Read(), Healed));

        Assert.Equal(Errno.EIO, ex.ErrorNumber);
        Assert.Equal(Original, File.ReadAllBytes(_path));
        Assert.Empty(fs.Renames);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_NoReplaceFailsWithAnotherErrno_ThrowsAndNothingCreated()
    {
        var fs = new FaultyFileSystemCalls().FailRename(RenameMode.NoReplace, Errno.EIO);
        var store = Store(fs);

        var ex = Assert.Throws<PosixException>(() => store.Replace(store.Read(), Healed));

        Assert.Equal(Errno.EIO, ex.ErrorNumber);
        Assert.False(File.Exists(_path));
        Assert.Empty(fs.Renames);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    private SettingsFileStore Store(IFileSystemCalls fs) => TestHealers.Store(TestHealers.Options(_path), fs);
}
