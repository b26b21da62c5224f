using System.Text;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// The replace's less travelled paths: mixed ownership, a file system that cannot chown, durability order, the
/// races right at the exchange, and the temp name a crash leaves behind.
/// </summary>
public sealed class SettingsFileStoreReplaceEdgeTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public SettingsFileStoreReplaceEdgeTests()
    {
        _path = _temp.SettingsPath();
        File.WriteAllBytes(_path, Original);
    }

    public void Dispose() => _temp.Dispose();

    [RequiresTheory(Root = true)]
    [InlineData(0u, 1000u)]
    [InlineData(1000u, 0u)]
    public void Replace_OwnerDiffersFromUsInOneIdOnly_KeepsBothIds(uint uid, uint gid)
    {
        // We run as root:root here, so root:1000 differs only in the group, which must not be lost.
        TestPosix.Chown(_path, uid, gid);
        var store = Store();

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);

        var after = TestPosix.Stat(_path);
        Assert.Equal((uid, gid), (after.Uid, after.Gid));
    }

    [Fact]
    public void Replace_FileAlreadyOursAndChownUnsupported_ReplacedWithoutChown()
    {
        // A guardian running as the file's owner needs no chown, so a file system that refuses it must not matter.
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.FChown, Errno.EPERM, nth: 0);
        var store = Store(fs);

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);

        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Equal(0, fs.Calls(FsOp.FChown));
    }

    [Fact]
    public void Replace_Replaced_FlushesTheTempBeforeTheRenameAndTheDirectoryAfterIt()
    {
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);

        var order = fs.Trace.Select(t => t.Op).Where(op => op is FsOp.Fsync or FsOp.RenameAt or FsOp.FsyncDirectory);
        Assert.Equal([FsOp.Fsync, FsOp.RenameAt, FsOp.FsyncDirectory], order);
        Assert.Equal(store.Directory, fs.Trace.Single(t => t.Op == FsOp.FsyncDirectory).Path);
    }

    [Theory]
    [InlineData(Errno.EIO)]
    [InlineData(Errno.EROFS)]
    public void Replace_DirectoryFsyncFails_ThrowsErrnoWithTheNewContentInPlaceAndNoTemp(int errno)
    {
        // The rename happened but is not known to be on disk: the heal must fail (and be retried), not report success.
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.FsyncDirectory, errno);
        var store = Store(fs);

        var ex = Assert.Throws<PosixException>(() => store.Replace(store.Read(), Healed));

        Assert.Equal(errno, ex.ErrorNumber);
        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_Conflict_NoDirectoryFsyncNeeded()
    {
        // Nothing of ours was put in place, so a failing directory fsync must not turn a lost race into an error.
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.FsyncDirectory, Errno.EIO, nth: 0);
        var store = Store(fs);
        var read = store.Read();
        File.WriteAllBytes(_path, Healed);

        Assert.Equal(ReplaceOutcome.Conflict, store.Replace(read, Healed).Outcome);
        Assert.Equal(0, fs.Calls(FsOp.FsyncDirectory));
    }

    [Fact]
    public void Replace_FileDeletedJustBeforeTheExchange_ConflictAndNothingCreated()
    {
        var fs = AtFirstRename(before: () => File.Delete(_path));
        var store = Store(fs);

        Assert.Equal(ReplaceOutcome.Conflict, store.Replace(store.Read(), Healed).Outcome);

        Assert.False(File.Exists(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_AnotherFileRenamedOverOursRightAfterTheExchange_TheirFileStays()
    {
        // A writer changes the file in place just before the exchange (so the exchange displaces it), then another
        // renames its own file over the path. The path is no longer ours: swapping back would throw the newest away.
        var newest = Encoding.UTF8.GetBytes("{\n  \"newest\": true\n}\n");
        var fs = AtFirstRename(
            before: () => File.WriteAllBytes(_path, "{\"in-place\": 1}\n"u8.ToArray()),
            after: () => SettingsFiles.WriteByRename(_path, Encoding.UTF8.GetString(newest)));
        var store = Store(fs);

        Assert.Equal(ReplaceOutcome.Conflict, store.Replace(store.Read(), Healed).Outcome);

        Assert.Equal(newest, File.ReadAllBytes(_path));
        Assert.Single(fs.Renames);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_CrashBetweenCreateAndRename_NextStoresCleanupRemovesThatTemp()
    {
        // A crash is simulated by a rename that fails and a cleanup unlink that fails too: the temp stays, as after a kill.
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.RenameAt, Errno.EIO).FailOn(FsOp.UnlinkAt, Errno.EIO, nth: 0);
        var crashed = Store(fs);
        Assert.Throws<PosixException>(() => crashed.Replace(crashed.Read(), Healed));
        var left = Assert.Single(TestPosix.GuardianTemps(_path));
        Assert.StartsWith(crashed.TempPrefix, Path.GetFileName(left), StringComparison.Ordinal);

        var removed = Store().RemoveStaleTemps();

        Assert.Equal([left], removed);
        Assert.Equal([_path], Directory.GetFiles(Path.GetDirectoryName(_path)!));
        Assert.Equal(Original, File.ReadAllBytes(_path));
    }

    [Fact]
    public void RemoveStaleTemps_UnlinkFails_ReportsNothingRemoved()
    {
        var stale = Path.Combine(Path.GetDirectoryName(_path)!, ".settings.json.guardian-2147483000-0badf00d.tmp");
        File.WriteAllBytes(stale, Original);
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.UnlinkAt, Errno.EACCES, nth: 0);

        Assert.Empty(Store(fs).RemoveStaleTemps());
        Assert.True(File.Exists(stale));
    }

    [Fact]
    public void Replace_NewFileAndDirectoryGoneAfterTheRead_ThrowsEnoentAndCreatesNothingElsewhere()
    {
        // The replace acts through the handle the read opened: a directory deleted and recreated at the same path in
        // between is not where it writes (creating in a deleted directory fails with ENOENT).
        File.Delete(_path);
        var store = Store();
        using var read = store.Read();
        Directory.Delete(store.Directory);
        Directory.CreateDirectory(store.Directory);

        var ex = Assert.Throws<PosixException>(() => store.Replace(read, Healed));

        Assert.Equal((Errno.ENOENT, "open"), (ex.ErrorNumber, ex.Operation));
        Assert.StartsWith(Path.Combine(store.Directory, store.TempPrefix), ex.Path, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(store.Directory));
    }

    [Fact]
    public void Replace_TempNameAlreadyTaken_ThrowsEexistAndLeavesThatFileAlone()
    {
        // O_EXCL refused the name, so whatever is there is not ours to remove.
        var fs = new FaultyFileSystemCalls();
        var squatter = "";
        fs.Before = (op, path, _) =>
        {
            if (op == FsOp.CreateExclusiveAt)
            {
                squatter = path;
                File.WriteAllBytes(path, Original);
            }
        };
        var store = Store(fs);

        var ex = Assert.Throws<PosixException>(() => store.Replace(store.Read(), Healed));

        Assert.Equal(Errno.EEXIST, ex.ErrorNumber);
        Assert.Equal(Original, File.ReadAllBytes(squatter));
    }

    [Fact]
    public void ReplaceAndQuarantine_NullArguments_ThrowNamingThem()
    {
        var store = Store();

        Assert.Equal("basis", Assert.Throws<ArgumentNullException>(() => store.Replace(null!, Healed)).ParamName);
        Assert.Equal("content", Assert.Throws<ArgumentNullException>(() => store.Replace(store.Read(), null!)).ParamName);
        Assert.Equal("basis", Assert.Throws<ArgumentNullException>(() => store.Quarantine(null!, QuarantineKind.Corrupt, 5)).ParamName);
    }

    private static FaultyFileSystemCalls AtFirstRename(Action before, Action? after = null)
    {
        var fs = new FaultyFileSystemCalls();
        fs.Before = (op, _, n) =>
        {
            if (op == FsOp.RenameAt && n == 1)
            {
                before();
            }
        };
        fs.After = (op, _, n) =>
        {
            if (op == FsOp.RenameAt && n == 1)
            {
                after?.Invoke();
            }
        };
        return fs;
    }

    private SettingsFileStore Store(IFileSystemCalls? fs = null) => TestHealers.Store(TestHealers.Options(_path), fs);
}
