using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// No descriptor outlives its use: a read that holds the directory (file present or absent) keeps exactly that handle
/// open until it is disposed; every other read, and a read that throws, closes all it opened.
/// </summary>
public sealed class SettingsFileStoreHandleTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FaultyFileSystemCalls _fs = new();
    private readonly string _path;

    public SettingsFileStoreHandleTests()
    {
        _path = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Read_FilePresentOrAbsent_OnlyTheDirectoryStaysOpenUntilTheReadIsDisposed(bool present)
    {
        if (present)
        {
            File.WriteAllBytes(_path, Original);
        }

        var read = Store().Read();

        Assert.Equal(present ? ReadStatus.Present : ReadStatus.Absent, read.Status);
        Assert.Equal([read.Directory!.Handle], _fs.LeftOpen);
        read.Dispose();
        Assert.Empty(_fs.LeftOpen);
    }

    [Fact]
    public void Read_Refused_EveryHandleClosed()
    {
        File.WriteAllBytes(_path, new byte[2000]);

        var read = Store(max: 1024).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Null(read.Directory);
        Assert.Contains(_fs.Trace, t => t.Op == FsOp.StatAt && t.Path == _path);
        Assert.Empty(_fs.LeftOpen);
    }

    [Fact]
    public void Read_ReadFails_ThrowsAndEveryHandleClosed()
    {
        File.WriteAllBytes(_path, Original);
        _fs.FailOn(FsOp.Read, Errno.EIO);

        var ex = Assert.Throws<PosixException>(() => Store().Read());

        Assert.Equal(Errno.EIO, ex.ErrorNumber);
        Assert.Contains(_fs.Trace, t => t.Op == FsOp.OpenReadAt);
        Assert.Empty(_fs.LeftOpen);
    }

    [RequiresFact(Root = true)]
    public void Read_AsRootInARootDirectoryAnyoneCanWrite_RefusedAndEveryHandleClosed()
    {
        var dir = Path.GetDirectoryName(_path)!;
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("777", 8));

        var read = Store(identity: new RecordingIdentity(uid: 0, gid: 0)).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.StartsWith($"{dir} belongs to root but anyone can write it (mode 777)", read.Reason, StringComparison.Ordinal);
        Assert.NotEmpty(_fs.Opened);
        Assert.Empty(_fs.LeftOpen);
    }

    private SettingsFileStore Store(long max = 1024, RecordingIdentity? identity = null) =>
        TestHealers.Store(TestHealers.Options(_path, o => o.MaxFileBytes = max), _fs, identity: identity);
}
