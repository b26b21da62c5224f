using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// <see cref="Privilege.ActIn"/>: whom the guardian acts as in a directory, for every owner and mode that matters. The
/// directories are real (chowned and chmodded, which needs root); the identity only records the switches.
/// </summary>
public sealed class PrivilegeTests : IDisposable
{
    private const UnixFileMode Mode0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly TempDirectory _temp = new();
    private readonly List<SettingsDirectory> _opened = [];
    private readonly List<IdentitySwitch> _callbacks = [];
    private int _dirs;

    public void Dispose()
    {
        _opened.ForEach(d => d.Dispose());
        _temp.Dispose();
    }

    [RequiresFact(Root = true)]
    public void ActIn_RootAndDirectoryOfUserWithEntry_BecomesThatUserOnceAndReportsIt()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        identity.Users["agent"] = (1000, 1000);
        var privilege = new Privilege(identity, switched: _callbacks.Add);
        var dir = Dir(1000, 1000, Mode0755);

        Assert.Null(privilege.ActIn(dir));
        Assert.Null(privilege.ActIn(dir));

        Assert.Equal([(1000u, 1000u)], identity.Switches);
        var reported = Assert.Single(_callbacks);
        Assert.Equal((1000u, 1000u), (reported.Uid, reported.Gid));
        Assert.Contains(dir.Path, reported.Reason, StringComparison.Ordinal);
        Assert.False(privilege.Privileged);
    }

    [RequiresFact(Root = true)]
    public void ActIn_RootAndOwnerWhosePrimaryGroupDiffersFromTheDirectorys_BecomesOwnerWithPrimaryGroup()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        identity.Users["agent"] = (1000, 1001);

        Assert.Null(new Privilege(identity).ActIn(Dir(1000, 2000, Mode0755)));

        Assert.Equal([(1000u, 1001u)], identity.Switches);
    }

    [RequiresFact(Root = true)]
    public void ActIn_RootAndOwnerWithoutEntryAndNonRootGroup_BecomesOwnerWithTheDirectorysGroup()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);

        Assert.Null(new Privilege(identity, switched: _callbacks.Add).ActIn(Dir(1000, 1000, Mode0755)));

        Assert.Equal([(1000u, 1000u)], identity.Switches);
        Assert.Single(_callbacks);
    }

    [RequiresFact(Root = true)]
    public void ActIn_RootAndOwnerWithoutEntryAndGroupZero_RefusedWithoutSwitch()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(1000, 0, Mode0755);

        var refused = new Privilege(identity, switched: _callbacks.Add).ActIn(dir);

        Assert.NotNull(refused);
        Assert.StartsWith($"{dir.Path} belongs to uid 1000, which has no user-database entry, and to group 0", refused, StringComparison.Ordinal);
        Assert.Contains("Guardian:RunAs", refused, StringComparison.Ordinal);
        Assert.Empty(identity.Switches);
        Assert.Empty(_callbacks);
    }

    [RequiresTheory(Root = true)]
    [InlineData(0u, "755")]
    [InlineData(0u, "775")]
    [InlineData(0u, "770")]
    [InlineData(50u, "755")]
    [InlineData(50u, "1755")]
    public void ActIn_RootAndRootOwnedDirectoryOnlyRootCanWrite_NullWithoutSwitch(uint gid, string mode)
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);

        Assert.Null(new Privilege(identity, switched: _callbacks.Add).ActIn(Dir(0, gid, Octal(mode))));

        Assert.Empty(identity.Switches);
        Assert.Empty(_callbacks);
    }

    [RequiresTheory(Root = true)]
    [InlineData("775")]
    [InlineData("770")]
    [InlineData("1775")]
    public void ActIn_RootAndRootOwnedDirectoryANonRootGroupCanWrite_RefusedNamingTheGroup(string mode)
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(0, 50, Octal(mode));

        var refused = new Privilege(identity).ActIn(dir);

        Assert.Equal($"{dir.Path} belongs to root but group 50 can write it (mode {mode}): root does not act in a directory another user can change; "
            + "set Guardian:RunAs to the user to act as", refused);
        Assert.Empty(identity.Switches);
    }

    [RequiresTheory(Root = true)]
    [InlineData("777", 0u)]
    [InlineData("1777", 0u)]
    [InlineData("757", 0u)]
    [InlineData("777", 50u)]
    public void ActIn_RootAndRootOwnedDirectoryAnyoneCanWrite_RefusedSayingAnyone(string mode, uint gid)
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(0, gid, Octal(mode));

        var refused = new Privilege(identity, switched: _callbacks.Add).ActIn(dir);

        Assert.NotNull(refused);
        Assert.StartsWith($"{dir.Path} belongs to root but anyone can write it (mode {mode})", refused, StringComparison.Ordinal);
        Assert.Contains("Guardian:RunAs", refused, StringComparison.Ordinal);
        Assert.Empty(identity.Switches);
        Assert.Empty(_callbacks);
    }

    [RequiresTheory(Root = true)]
    [InlineData(0u, 0u, "777")]
    [InlineData(0u, 0u, "755")]
    [InlineData(1000u, 1000u, "755")]
    [InlineData(1000u, 0u, "755")]
    public void ActIn_RootWithRunAs_BecomesRunAsWhateverTheDirectory(uint uid, uint gid, string mode)
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        identity.Users["agent"] = (1000, 1000);

        Assert.Null(new Privilege(identity, runAs: (3000, 3001), switched: _callbacks.Add).ActIn(Dir(uid, gid, Octal(mode))));

        Assert.Equal([(3000u, 3001u)], identity.Switches);
        Assert.Equal(new IdentitySwitch(3000, 3001, "Guardian:RunAs names it"), Assert.Single(_callbacks));
    }

    [RequiresTheory(Root = true)]
    [InlineData(2000u, 2000u, "755")]
    [InlineData(1000u, 0u, "755")]
    [InlineData(0u, 0u, "777")]
    [InlineData(0u, 50u, "775")]
    public void ActIn_NotRoot_NullAndNoSwitchWhateverTheDirectory(uint uid, uint gid, string mode)
    {
        var identity = new RecordingIdentity(uid: 1000, gid: 1000, follow: true);

        Assert.Null(new Privilege(identity, runAs: (1000, 1000), switched: _callbacks.Add).ActIn(Dir(uid, gid, Octal(mode))));
        Assert.Null(new Privilege(identity, switched: _callbacks.Add).ActIn(Dir(uid, gid, Octal(mode))));

        Assert.Empty(identity.Switches);
        Assert.Empty(_callbacks);
    }

    private static UnixFileMode Octal(string mode) => (UnixFileMode)Convert.ToInt32(mode, 8);

    /// <summary>A real directory with this owner and mode, opened the way the store opens one.</summary>
    private SettingsDirectory Dir(uint uid, uint gid, UnixFileMode mode)
    {
        var path = Directory.CreateDirectory(_temp.Combine("d" + _dirs++)).FullName;
        TestPosix.Chown(path, uid, gid);
        File.SetUnixFileMode(path, mode);
        var dir = DirectoryWalk.Open(LinuxFileSystemCalls.Instance, path, privileged: false).Directory
            ?? throw new DirectoryNotFoundException(path);
        _opened.Add(dir);
        Assert.Equal(((uint)mode, uid, gid), (dir.Stat.Mode & 0xFFF, dir.Stat.Uid, dir.Stat.Gid));
        return dir;
    }
}
