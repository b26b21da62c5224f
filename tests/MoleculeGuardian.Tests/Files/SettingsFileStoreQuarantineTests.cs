using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>The quarantine copy: its exact name, its owner, its durability, and what happens when a step fails.</summary>
public sealed class SettingsFileStoreQuarantineTests : IDisposable
{
    private static readonly byte[] Bytes = "{\"broken\": \n"u8.ToArray();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public SettingsFileStoreQuarantineTests()
    {
        _path = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Quarantine_SameMillisecondThreeTimes_NamesAreTheUtcTimeThenNumbered()
    {
        var store = Store();

        var names = Enumerable.Range(0, 3).Select(_ => store.Quarantine(Bytes, "corrupt", null, keep: 5)).ToArray();

        var stamp = _path + ".corrupt-20260102T030405.678Z";
        Assert.Equal([stamp, stamp + "-1", stamp + "-2"], names);
        Assert.All(names, n => Assert.Equal(Bytes, File.ReadAllBytes(n)));
    }

    [RequiresFact(Root = true)]
    public void Quarantine_OwnerDiffersFromUsInTheGroupOnly_CopyKeepsTheGroup()
    {
        var copy = Store().Quarantine(Bytes, "replaced", Owner(0, 1000), keep: 5);

        Assert.Equal((0u, 1000u), (TestPosix.Stat(copy).Uid, TestPosix.Stat(copy).Gid));
    }

    [RequiresTheory(Root = true)]
    [InlineData(true)]
    [InlineData(false)]
    public void Quarantine_OwnerIsUsOrUnknownAndChownUnsupported_CopyMadeWithoutChown(bool ownerKnown)
    {
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.FChown, Errno.EPERM, nth: 0);

        var copy = Store(fs).Quarantine(Bytes, "corrupt", ownerKnown ? Owner(0, 0) : null, keep: 5);

        Assert.Equal(Bytes, File.ReadAllBytes(copy));
        Assert.Equal(0, fs.Calls(FsOp.FChown));
    }

    [RequiresFact(Root = true)]
    public void Quarantine_ChownFails_ThrowsAndNoPartialCopyLeft()
    {
        // A copy the runtime user cannot read back is no copy: the repair must stop rather than believe it is safe.
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.FChown, Errno.EPERM);

        var ex = Assert.Throws<PosixException>(() => Store(fs).Quarantine(Bytes, "corrupt", Owner(1000, 1000), keep: 5));

        Assert.Equal(Errno.EPERM, ex.ErrorNumber);
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(_path)!));
    }

    [Fact]
    public void Quarantine_Copy_FlushedThenTheDirectoryFlushedThenPruned()
    {
        var fs = new FaultyFileSystemCalls();

        Store(fs).Quarantine(Bytes, "corrupt", null, keep: 5);

        var order = fs.Trace.Select(t => t.Op).Where(op => op is FsOp.Fsync or FsOp.FsyncDirectory or FsOp.ListNames);
        Assert.Equal([FsOp.Fsync, FsOp.FsyncDirectory, FsOp.ListNames], order);
        Assert.Equal(Path.GetDirectoryName(_path), fs.Trace.Single(t => t.Op == FsOp.FsyncDirectory).Path);
    }

    [Fact]
    public void Quarantine_DirectoryFsyncFails_ThrowsSoTheRepairStops()
    {
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.FsyncDirectory, Errno.EIO);

        var ex = Assert.Throws<PosixException>(() => Store(fs).Quarantine(Bytes, "corrupt", null, keep: 5));

        Assert.Equal(Errno.EIO, ex.ErrorNumber);
    }

    [Fact]
    public void Quarantine_ListingForPruneFails_CopyStillMadeAndReturned()
    {
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.ListNames, Errno.EACCES);

        var copy = Store(fs).Quarantine(Bytes, "corrupt", null, keep: 1);

        Assert.Equal(Bytes, File.ReadAllBytes(copy));
    }

    private static FileStat Owner(uint uid, uint gid) => new(FileKind.Regular, 0x1A4, uid, gid, Bytes.Length, 0, 0, 0, 0);

    private SettingsFileStore Store(IFileSystemCalls? fs = null) => TestHealers.Store(TestHealers.Options(_path), fs, _time);
}
