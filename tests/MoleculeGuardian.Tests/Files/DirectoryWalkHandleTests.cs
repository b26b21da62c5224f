using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// <see cref="DirectoryWalk"/>'s handles and words: every handle of the way closed whatever the outcome (only the
/// opened directory's stays open, for the caller), a failure at "/" itself naming "/", and the refusal of a component
/// that changed between its open and its stat.
/// </summary>
public sealed class DirectoryWalkHandleTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FaultyFileSystemCalls _fs = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Open_NullArgument_ThrowsNamingItAndOpensNothing()
    {
        Assert.Throws<ArgumentNullException>("fs", () => DirectoryWalk.Open(null!, _temp.Path, privileged: false));
        Assert.Throws<ArgumentNullException>("directory", () => DirectoryWalk.Open(_fs, null!, privileged: false));
        Assert.Empty(_fs.Trace);
    }

    [Fact]
    public void Open_NestedDirectory_OnlyTheOpenedDirectorysHandleStaysOpenAndNoReason()
    {
        var path = Directory.CreateDirectory(_temp.Combine("a", "b")).FullName;

        var open = DirectoryWalk.Open(_fs, path, privileged: false);

        using var dir = open.Directory!;
        Assert.Equal(new DirectoryOpen(DirectoryStatus.Open, dir, ""), open);
        Assert.True(_fs.Opened.Count > 3);
        Assert.Equal([dir.Handle], _fs.LeftOpen);
    }

    [Fact]
    public void Open_MissingComponent_MissingWithoutReasonAndEveryHandleClosed()
    {
        Directory.CreateDirectory(_temp.Combine("a"));

        var open = DirectoryWalk.Open(_fs, _temp.Combine("a", "gone", "leaf"), privileged: false);

        Assert.Equal(new DirectoryOpen(DirectoryStatus.Missing, null, ""), open);
        Assert.NotEmpty(_fs.Opened);
        Assert.Empty(_fs.LeftOpen);
    }

    [Theory]
    [InlineData("link")]
    [InlineData("file")]
    [InlineData("..")]
    public void Open_RefusedComponent_EveryHandleClosed(string component)
    {
        Directory.CreateDirectory(_temp.Combine("real", "sub"));
        File.CreateSymbolicLink(_temp.Combine("link"), _temp.Combine("real"));
        File.WriteAllText(_temp.Combine("file"), "x");

        var open = DirectoryWalk.Open(_fs, _temp.Path + "/" + component + "/sub", privileged: false);

        Assert.Equal(DirectoryStatus.Refused, open.Status);
        Assert.NotEmpty(_fs.Opened);
        Assert.Empty(_fs.LeftOpen);
    }

    [Theory]
    [InlineData(FsOp.OpenDirectory)]
    [InlineData(FsOp.FStat)]
    public void Open_CallOnTheRootFails_ThrowsNamingTheRootAndEveryHandleClosed(FsOp op)
    {
        _fs.FailOn(op, Errno.EACCES);

        var ex = Assert.Throws<PosixException>(() => DirectoryWalk.Open(_fs, _temp.Path, privileged: false));

        Assert.Equal("/", ex.Path);
        Assert.Equal(Errno.EACCES, ex.ErrorNumber);
        Assert.Empty(_fs.LeftOpen);
    }

    [Fact]
    public void Open_ComponentASymlinkAtTheOpenAndADirectoryAgainAtTheStat_RefusedAsChangedAndEveryHandleClosed()
    {
        var path = Directory.CreateDirectory(_temp.Combine("dir")).FullName;
        var aside = _temp.Combine("aside");
        _fs.Before = (op, at, _) =>
        {
            if (op == FsOp.OpenDirectory && at == path)
            {
                Directory.Move(path, aside);
                File.CreateSymbolicLink(path, aside);
            }
            else if (op == FsOp.StatAt && at == path)
            {
                File.Delete(path);
                Directory.Move(aside, path);
            }
        };

        var open = DirectoryWalk.Open(_fs, path, privileged: false);

        Assert.Equal(DirectoryOpen.Refused($"{path} changed while it was being opened"), open);
        Assert.Empty(_fs.LeftOpen);
    }

    [RequiresFact(Root = true)]
    public void Open_PrivilegedIntoAnotherOwnersChildOfAUserDirectory_RefusedWithTheWholeReasonAndEveryHandleClosed()
    {
        var parent = Directory.CreateDirectory(_temp.Combine("home")).FullName;
        var child = Directory.CreateDirectory(_temp.Combine("home", "child")).FullName;
        TestPosix.Chown(parent, 1000, 1000);
        TestPosix.Chown(child, 2000, 2000);

        var open = DirectoryWalk.Open(_fs, child, privileged: true);

        Assert.Equal(
            DirectoryOpen.Refused($"{child} belongs to uid 2000 but sits in {parent}, which belongs to uid 1000: "
                + "that user could have put it there, so root does not act in it"),
            open);
        Assert.Contains(_fs.Trace, t => t.Op == FsOp.OpenDirectory && t.Path == child);
        Assert.Empty(_fs.LeftOpen);
    }
}
