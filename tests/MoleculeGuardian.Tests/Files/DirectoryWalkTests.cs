using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// <see cref="DirectoryWalk"/>: from "/" one component at a time, no symlink followed anywhere, nothing opened through
/// a refused component, and (as root) systemd's CHASE_SAFE ownership rule.
/// </summary>
public sealed class DirectoryWalkTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Open_PlainNestedDirectory_OpenWithTheDirectorysStat()
    {
        var path = Directory.CreateDirectory(_temp.Combine("a", "b", "c")).FullName;

        var open = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, path, privileged: false);

        Assert.Equal(DirectoryStatus.Open, open.Status);
        using var dir = open.Directory!;
        Assert.Equal(TestPosix.Stat(path), dir.Stat);
        Assert.Equal(TestPosix.Stat(path), LinuxFileSystemCalls.Instance.FStat(dir.Handle, path));
        Assert.Equal(path, dir.Path);
    }

    [Fact]
    public void Open_PrivilegedPlainRootOwnedTree_Open()
    {
        var path = Directory.CreateDirectory(_temp.Combine("a", "b")).FullName;

        var open = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, path, privileged: true);

        using var dir = open.Directory;
        Assert.Equal(DirectoryStatus.Open, open.Status);
        Assert.Equal(TestPosix.Stat(path).Inode, dir!.Stat.Inode);
    }

    [Fact]
    public void Open_MissingLeaf_Missing()
    {
        Directory.CreateDirectory(_temp.Combine("a"));

        var open = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, _temp.Combine("a", "gone"), privileged: false);

        Assert.Equal(DirectoryStatus.Missing, open.Status);
        Assert.Null(open.Directory);
    }

    [Fact]
    public void Open_MissingMiddle_MissingAndNothingBeyondItTried()
    {
        var fs = new FaultyFileSystemCalls();

        var open = DirectoryWalk.Open(fs, _temp.Combine("gone", "leaf"), privileged: false);

        Assert.Equal(DirectoryStatus.Missing, open.Status);
        Assert.Null(open.Directory);
        Assert.DoesNotContain(fs.Trace, t => t.Path == _temp.Combine("gone", "leaf"));
    }

    [Fact]
    public void Open_SymlinkAsLastComponent_RefusedNamingIt()
    {
        var real = Directory.CreateDirectory(_temp.Combine("real")).FullName;
        var link = _temp.Combine("link");
        File.CreateSymbolicLink(link, real);
        var fs = new FaultyFileSystemCalls();

        var open = DirectoryWalk.Open(fs, link, privileged: false);

        Assert.Equal(DirectoryStatus.Refused, open.Status);
        Assert.Null(open.Directory);
        Assert.Contains($"{link} is a symbolic link", open.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(fs.Trace, t => t.Op == FsOp.OpenDirectory && t.Path.StartsWith(link + "/", StringComparison.Ordinal));
    }

    [Fact]
    public void Open_SymlinkAsMiddleComponent_RefusedNamingItAndNothingOpenedThroughIt()
    {
        Directory.CreateDirectory(_temp.Combine("real", "sub", "deeper"));
        var link = _temp.Combine("link");
        File.CreateSymbolicLink(link, _temp.Combine("real"));
        var fs = new FaultyFileSystemCalls();

        var open = DirectoryWalk.Open(fs, _temp.Combine("link", "sub", "deeper"), privileged: false);

        Assert.Equal(DirectoryStatus.Refused, open.Status);
        Assert.Null(open.Directory);
        Assert.StartsWith($"{link} is a symbolic link", open.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(fs.Trace, t => t.Path.StartsWith(link + "/", StringComparison.Ordinal));
        Assert.Contains(fs.Trace, t => t.Op == FsOp.OpenDirectory && t.Path == link);
    }

    [Fact]
    public void Open_RegularFileInTheMiddle_RefusedNotADirectory()
    {
        var file = _temp.Combine("file");
        File.WriteAllText(file, "x");

        var open = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, _temp.Combine("file", "sub"), privileged: false);

        Assert.Equal(DirectoryStatus.Refused, open.Status);
        Assert.Equal($"{file} is a regular file, not a directory", open.Reason);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    public void Open_DotOrDotDotComponent_RefusedBeforeOpeningIt(string component)
    {
        Directory.CreateDirectory(_temp.Combine("a", "b"));
        var fs = new FaultyFileSystemCalls();

        var open = DirectoryWalk.Open(fs, _temp.Path + "/a/" + component + "/b", privileged: false);

        Assert.Equal(DirectoryStatus.Refused, open.Status);
        Assert.Null(open.Directory);
        Assert.Contains($"'{component}' component", open.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(fs.Trace, t => t.Path.EndsWith("/" + component, StringComparison.Ordinal)
            || t.Path.Contains("/" + component + "/", StringComparison.Ordinal));
    }

    [RequiresTheory(Root = true)]
    [InlineData(0u)]
    [InlineData(2000u)]
    public void Open_PrivilegedFromUserOwnedDirectoryIntoOtherOwnersChild_RefusedNamingBothUids(uint childOwner)
    {
        var parent = Directory.CreateDirectory(_temp.Combine("home")).FullName;
        var child = Directory.CreateDirectory(_temp.Combine("home", "child")).FullName;
        TestPosix.Chown(parent, 1000, 1000);
        TestPosix.Chown(child, childOwner, childOwner);

        var open = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, child, privileged: true);

        Assert.Equal(DirectoryStatus.Refused, open.Status);
        Assert.Null(open.Directory);
        Assert.StartsWith($"{child} belongs to uid {childOwner} but sits in {parent}, which belongs to uid 1000", open.Reason, StringComparison.Ordinal);
    }

    [RequiresFact(Root = true)]
    public void Open_UnprivilegedFromUserOwnedDirectoryIntoOtherOwnersChild_Open()
    {
        var parent = Directory.CreateDirectory(_temp.Combine("home")).FullName;
        var child = Directory.CreateDirectory(_temp.Combine("home", "child")).FullName;
        TestPosix.Chown(parent, 1000, 1000);
        TestPosix.Chown(child, 2000, 2000);

        var open = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, child, privileged: false);

        using var dir = open.Directory;
        Assert.Equal(DirectoryStatus.Open, open.Status);
        Assert.Equal(2000u, dir!.Stat.Uid);
    }

    [RequiresFact(Root = true)]
    public void Open_PrivilegedFromUserOwnedDirectoryIntoSameOwnersChild_Open()
    {
        var parent = Directory.CreateDirectory(_temp.Combine("home")).FullName;
        var child = Directory.CreateDirectory(_temp.Combine("home", "child")).FullName;
        TestPosix.Chown(parent, 1000, 1000);
        TestPosix.Chown(child, 1000, 2000);

        var open = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, child, privileged: true);

        using var dir = open.Directory;
        Assert.Equal(DirectoryStatus.Open, open.Status);
        Assert.Equal(TestPosix.Stat(child), dir!.Stat);
    }

    [RequiresFact(Root = true)]
    public void Open_PrivilegedFromRootOwnedParentIntoUserOwnedChild_Open()
    {
        var child = Directory.CreateDirectory(_temp.Combine("root-owned", "agent")).FullName;
        TestPosix.Chown(child, 1000, 1000);

        var open = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, child, privileged: true);

        using var dir = open.Directory;
        Assert.Equal(DirectoryStatus.Open, open.Status);
        Assert.Equal((1000u, 1000u), (dir!.Stat.Uid, dir.Stat.Gid));
    }

    [Fact]
    public void Open_PathRenamedAwayAndReplacedBySymlink_HandleStillRefersToTheOriginal()
    {
        var path = Directory.CreateDirectory(_temp.Combine("dir")).FullName;
        File.WriteAllText(Path.Combine(path, "settings.json"), "original");
        var original = TestPosix.Stat(Path.Combine(path, "settings.json"));
        var other = Directory.CreateDirectory(_temp.Combine("other")).FullName;
        File.WriteAllText(Path.Combine(other, "decoy.json"), "decoy");

        var open = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, path, privileged: false);
        using var dir = open.Directory!;
        Directory.Move(path, _temp.Combine("moved"));
        File.CreateSymbolicLink(path, other);

        var fs = LinuxFileSystemCalls.Instance;
        var found = fs.StatAt(dir.Handle, "settings.json", path);
        Assert.NotNull(found);
        Assert.Equal(original.Inode, found.Value.Inode);
        Assert.Null(fs.StatAt(dir.Handle, "decoy.json", path));
        Assert.Equal(["settings.json"], fs.ListNames(dir.Handle, path));
    }
}
