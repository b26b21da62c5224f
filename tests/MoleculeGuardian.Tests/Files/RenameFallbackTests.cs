using System.Text;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// A file system without <c>RENAME_EXCHANGE</c> (replacing a file) or <c>RENAME_NOREPLACE</c> (creating one) answers
/// EINVAL, ENOSYS or EOPNOTSUPP: the store falls back to a plain rename, and then the look it takes just before is
/// all that keeps another writer's update.
/// </summary>
public sealed class RenameFallbackTests : IDisposable
{
    private static readonly byte[] Theirs = Encoding.UTF8.GetBytes("{\n  \"hooks\": {},\n  \"theirs\": \"a longer view\"\n}\n");
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public RenameFallbackTests()
    {
        _path = _temp.SettingsPath();
    }

    /// <summary>Each mode the store uses, with each errno its filter takes for "not supported here".</summary>
    public static TheoryData<object, int> Unsupported()
    {
        var data = new TheoryData<object, int>();
        foreach (var mode in new[] { RenameMode.Exchange, RenameMode.NoReplace })
        {
            foreach (var errno in new[] { Errno.EINVAL, Errno.ENOSYS, Errno.EOPNOTSUPP })
            {
                data.Add(mode, errno);
            }
        }

        return data;
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void Replace_ModeUnsupported_ReplacedByPlainRenameAndDirectoryFlushed(object modeValue, int errno)
    {
        var mode = (RenameMode)modeValue;
        var (store, fs) = Arrange(mode, errno);

        var outcome = store.Replace(store.Read(), Healed).Outcome;

        Assert.Equal(ReplaceOutcome.Replaced, outcome);
        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Equal([RenameMode.Replace], fs.Renames.Select(r => r.Mode));
        Assert.Equal((FsOp.FsyncDirectory, store.Directory), fs.Trace.Last());
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void Replace_ModeUnsupportedAndWriterActedAfterTheRead_ConflictAndWriterContentIntact(object modeValue, int errno)
    {
        var mode = (RenameMode)modeValue;
        // Nothing shows what a plain rename displaced: the fingerprint check (or the look for a new file) must stop it.
        var (store, fs) = Arrange(mode, errno);
        var read = store.Read();
        File.WriteAllBytes(_path, Theirs); // the runtime's truncate-then-write: a new size, or a new file

        var outcome = store.Replace(read, Healed).Outcome;

        Assert.Equal(ReplaceOutcome.Conflict, outcome);
        Assert.Equal(Theirs, File.ReadAllBytes(_path));
        Assert.Empty(fs.Renames);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Theory]
    [InlineData(RenameMode.Exchange)]
    [InlineData(RenameMode.NoReplace)]
    public void Replace_ModeFailsWithAnotherErrno_ThrowsAndNoPlainRename(object modeValue)
    {
        var mode = (RenameMode)modeValue;
        // Only "not supported" falls back; an I/O error is an error, not a reason to rename without the check.
        var (store, fs) = Arrange(mode, Errno.EIO);
        var before = File.Exists(_path) ? File.ReadAllBytes(_path) : null;

        var ex = Assert.Throws<PosixException>(() => store.Replace(store.Read(), Healed));

        Assert.Equal(Errno.EIO, ex.ErrorNumber);
        Assert.Equal(before, File.Exists(_path) ? File.ReadAllBytes(_path) : null);
        Assert.Empty(fs.Renames);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    /// <summary>A file to replace for an exchange, none for a create; the mode fails with <paramref name="errno"/>.</summary>
    private (SettingsFileStore Store, FaultyFileSystemCalls Fs) Arrange(RenameMode mode, int errno)
    {
        if (mode == RenameMode.Exchange)
        {
            File.WriteAllBytes(_path, Original);
        }

        var fs = new FaultyFileSystemCalls().FailRename(mode, errno);
        return (TestHealers.Store(TestHealers.Options(_path), fs), fs);
    }
}
