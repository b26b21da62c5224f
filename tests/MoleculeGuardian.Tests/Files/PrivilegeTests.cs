using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Security;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// The identity step (<see cref="Privilege.Settle"/>) and the walk it fixes (<see cref="Privilege.Open"/>): whom the
/// guardian acts as in a directory, for every owner, mode and ACL that matters. The directories are real (chowned,
/// chmodded and given ACLs, which needs root); the identity only records the switches.
/// </summary>
public sealed class PrivilegeTests : IDisposable
{
    private const UnixFileMode Mode0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly TempDirectory _temp = new();
    private readonly List<IdentityDecision> _decisions = [];
    private int _dirs;

    public void Dispose() => _temp.Dispose();

    [RequiresFact(Root = true)]
    public void Settle_RootAndDirectoryOfUserWithEntry_BecomesThatUserOnceAndReportsIt()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        identity.Users["agent"] = (1000, 1000);
        var dir = Dir(1000, 1000, Mode0755);
        var privilege = Step(identity, dir);

        Assert.Equal(IdentityState.Settled, privilege.Settle());
        Assert.Equal(IdentityState.Settled, privilege.Settle());

        Assert.Equal([(1000u, 1000u)], identity.Switches);
        Assert.Equal(new IdentityDecision(1000, 1000, true, $"it owns {dir}"), Assert.Single(_decisions));
        Assert.Equal(privilege.Decision, _decisions[0]);
        Assert.True(privilege.StartedAsRoot);
        Assert.Equal("", privilege.Reason);
    }

    [RequiresFact(Root = true)]
    public void Settle_RootAndOwnerWhosePrimaryGroupDiffersFromTheDirectorys_BecomesOwnerWithPrimaryGroup()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        identity.Users["agent"] = (1000, 1001);

        Assert.Equal(IdentityState.Settled, Step(identity, Dir(1000, 2000, Mode0755)).Settle());

        Assert.Equal([(1000u, 1001u)], identity.Switches);
    }

    [RequiresFact(Root = true)]
    public void Settle_RootAndOwnerWithoutEntryAndNonRootGroup_BecomesOwnerWithTheDirectorysGroup()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);

        Assert.Equal(IdentityState.Settled, Step(identity, Dir(1000, 1000, Mode0755)).Settle());

        Assert.Equal([(1000u, 1000u)], identity.Switches);
        Assert.Single(_decisions);
    }

    [RequiresFact(Root = true)]
    public void Settle_RootAndOwnerWithoutEntryAndGroupZero_RefusedWithoutSwitchAndOpenSaysWhy()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(1000, 0, Mode0755);
        var privilege = Step(identity, dir);

        Assert.Equal(IdentityState.Refused, privilege.Settle());

        Assert.StartsWith($"{dir} belongs to uid 1000, which has no user-database entry, and to group 0", privilege.Reason, StringComparison.Ordinal);
        Assert.Contains("Guardian:RunAs", privilege.Reason, StringComparison.Ordinal);
        Assert.Equal(DirectoryOpen.Refused(privilege.Reason), privilege.Open());
        Assert.Empty(identity.Switches);
        Assert.Empty(_decisions);
        Assert.Null(privilege.Decision);
    }

    [RequiresTheory(Root = true)]
    [InlineData(0u, "755")]
    [InlineData(0u, "775")]
    [InlineData(0u, "770")]
    [InlineData(50u, "755")]
    [InlineData(50u, "1755")]
    public void Settle_RootAndRootOwnedDirectoryOnlyRootCanWrite_StaysRootAndReportsIt(uint gid, string mode)
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(0, gid, Octal(mode));

        var privilege = Step(identity, dir);

        Assert.Equal(IdentityState.Settled, privilege.Settle());

        Assert.Empty(identity.Switches);
        Assert.Equal(new IdentityDecision(0, 0, false, $"root owns {dir} and no other user can write it"), Assert.Single(_decisions));
        Assert.Equal("", privilege.Reason);
    }

    [RequiresTheory(Root = true)]
    [InlineData("775")]
    [InlineData("770")]
    [InlineData("1775")]
    public void Settle_RootAndRootOwnedDirectoryANonRootGroupCanWrite_RefusedNamingTheGroup(string mode)
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(0, 50, Octal(mode));
        var privilege = Step(identity, dir);

        Assert.Equal(IdentityState.Refused, privilege.Settle());

        Assert.Equal($"{dir} belongs to root but group 50 can write it (mode {mode}): root does not act in a directory another user can change; "
            + "set Guardian:RunAs to the user to act as", privilege.Reason);
        Assert.Empty(identity.Switches);
    }

    [RequiresTheory(Root = true)]
    [InlineData("777", 0u)]
    [InlineData("1777", 0u)]
    [InlineData("757", 0u)]
    [InlineData("777", 50u)]
    public void Settle_RootAndRootOwnedDirectoryAnyoneCanWrite_RefusedSayingAnyone(string mode, uint gid)
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(0, gid, Octal(mode));
        var privilege = Step(identity, dir);

        Assert.Equal(IdentityState.Refused, privilege.Settle());

        Assert.StartsWith($"{dir} belongs to root but anyone can write it (mode {mode})", privilege.Reason, StringComparison.Ordinal);
        Assert.Contains("Guardian:RunAs", privilege.Reason, StringComparison.Ordinal);
        Assert.Empty(identity.Switches);
        Assert.Empty(_decisions);
    }

    [RequiresTheory("setfacl", Root = true)]
    [InlineData("u:1000:rwx", 0u, "user 1000")]
    [InlineData("u:1000:-w-", 0u, "user 1000")]
    [InlineData("g:50:rwx", 0u, "group 50")]
    [InlineData("u:1000:rwx", 60u, "user 1000")]
    [InlineData("g::rwx", 60u, "group 60")]
    [InlineData("u:1000:rwx,g:50:-w-", 0u, "user 1000 and group 50")]
    public void Settle_RootAndRootOwnedDirectoryWhoseAclLetsAnotherWrite_RefusedNamingTheAcl(string entry, uint gid, string writer)
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(0, gid, Mode0755);
        OtherUser.SetAcl(dir, entry, "m::rwx");
        var privilege = Step(identity, dir);

        Assert.Equal(IdentityState.Refused, privilege.Settle());

        Assert.Equal($"{dir} belongs to root but its access ACL lets {writer} write it (mode 775): root does not act in a directory another user can change; "
            + "set Guardian:RunAs to the user to act as", privilege.Reason);
        Assert.Empty(identity.Switches);
        Assert.Empty(_decisions);
    }

    [RequiresTheory("setfacl", Root = true)]
    [InlineData("u:1000:rwx", "m::r-x", 0u)]
    [InlineData("u:1000:r-x", "m::rwx", 0u)]
    [InlineData("g:0:rwx", "m::rwx", 0u)]
    [InlineData("u:0:rwx", "m::rwx", 0u)]
    [InlineData("u:1000:r-x", "m::rwx", 60u)]
    public void Settle_RootAndRootOwnedDirectoryWhoseAclLetsNobodyElseWrite_StaysRoot(string entry, string mask, uint gid)
    {
        // The last row: the mode shows 0775 with group 60, but that is the mask; the owning group's own entry is r-x.
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(0, gid, Mode0755);
        OtherUser.SetAcl(dir, entry, mask);

        Assert.Equal(IdentityState.Settled, Step(identity, dir).Settle());

        Assert.Empty(identity.Switches);
        Assert.False(Assert.Single(_decisions).Switched);
    }

    [RequiresTheory(Root = true)]
    [InlineData(0u, 0u, "777")]
    [InlineData(0u, 0u, "755")]
    [InlineData(1000u, 1000u, "755")]
    [InlineData(1000u, 0u, "755")]
    public void Settle_RootWithRunAs_BecomesRunAsWhateverTheDirectory(uint uid, uint gid, string mode)
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        identity.Users["agent"] = (1000, 1000);

        var privilege = Step(identity, Dir(uid, gid, Octal(mode)), runAs: (3000, 3001));

        Assert.Equal(IdentityState.Settled, privilege.Settle());

        Assert.Equal([(3000u, 3001u)], identity.Switches);
        Assert.Equal(new IdentityDecision(3000, 3001, true, "Guardian:RunAs names it"), Assert.Single(_decisions));
        Assert.Equal("", privilege.Reason);
    }

    [Fact]
    public void Settle_RootWithRunAsAndNoDirectoryYet_SwitchesAtOnceWithoutLooking()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var fs = new FaultyFileSystemCalls();
        var privilege = new Privilege(identity, fs, _temp.Combine("missing"), (3000, 3001), _decisions.Add);

        Assert.Equal(IdentityState.Settled, privilege.Settle());

        Assert.Equal([(3000u, 3001u)], identity.Switches);
        Assert.Empty(fs.Trace);
    }

    [RequiresTheory(Root = true)]
    [InlineData(2000u, 2000u, "755")]
    [InlineData(1000u, 0u, "755")]
    [InlineData(0u, 0u, "777")]
    [InlineData(0u, 50u, "775")]
    public void Settle_NotRoot_SettledFromTheStartWithoutSwitchOrLook(uint uid, uint gid, string mode)
    {
        var identity = new RecordingIdentity(uid: 1000, gid: 1000, follow: true);
        var fs = new FaultyFileSystemCalls();
        var privilege = new Privilege(identity, fs, Dir(uid, gid, Octal(mode)), (1000, 1000), _decisions.Add);

        Assert.Equal(IdentityState.Settled, privilege.State);
        Assert.Equal(IdentityState.Settled, privilege.Settle());

        Assert.Empty(identity.Switches);
        Assert.Empty(_decisions);
        Assert.Empty(fs.Trace);
        Assert.False(privilege.StartedAsRoot);
    }

    [RequiresFact(Root = true)]
    public void Settle_RootAndDirectoryMissingThenCreated_WaitsThenSettlesWhenItAppears()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var path = _temp.Combine("later");
        var privilege = new Privilege(identity, LinuxFileSystemCalls.Instance, path, decided: _decisions.Add);

        Assert.Equal(IdentityState.Waiting, privilege.Settle());
        Assert.Equal(DirectoryOpen.Missing, privilege.Open());
        Assert.Equal("", privilege.Reason);
        Assert.Empty(identity.Switches);

        Directory.CreateDirectory(path);
        TestPosix.Chown(path, 1000, 1000);

        Assert.Equal(IdentityState.Settled, privilege.Settle());
        Assert.Equal([(1000u, 1000u)], identity.Switches);
        using var open = privilege.Open().Directory;
        Assert.NotNull(open);
    }

    [Fact]
    public void Open_RootBeforeTheStep_MissingWithoutLookingAtAnything()
    {
        var fs = new FaultyFileSystemCalls();
        var privilege = new Privilege(new RecordingIdentity(uid: 0, gid: 0), fs, _temp.Path);

        Assert.Equal(DirectoryOpen.Missing, privilege.Open());
        Assert.Equal((IdentityState.Waiting, ""), (privilege.State, privilege.Reason));

        Assert.Empty(fs.Trace);
    }

    [RequiresFact(Root = true)]
    public void Open_SwitchedToTheOwner_WalksWithoutRootsRule()
    {
        // Acting as the owner, the guardian goes where the kernel lets that user go: the CHASE_SAFE rule is root's.
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var parent = Dir(1000, 1000, Mode0755);
        var child = Path.Combine(parent, "child");
        Directory.CreateDirectory(child);
        TestPosix.Chown(child, 2000, 2000);
        var privilege = new Privilege(identity, LinuxFileSystemCalls.Instance, child, (1000, 1000));

        Assert.Equal(IdentityState.Settled, privilege.Settle());

        using var open = privilege.Open().Directory;
        Assert.NotNull(open);
    }

    [RequiresFact(Root = true)]
    public void Settle_RootThroughAUserDirectoryIntoAnotherOwners_RefusedByTheChaseSafeRule()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var parent = Dir(1000, 1000, Mode0755);
        var child = Path.Combine(parent, "child");
        Directory.CreateDirectory(child);
        TestPosix.Chown(child, 2000, 2000);
        var privilege = new Privilege(identity, LinuxFileSystemCalls.Instance, child);

        Assert.Equal(IdentityState.Refused, privilege.Settle());

        Assert.StartsWith($"{child} belongs to uid 2000 but sits in {parent}, which belongs to uid 1000", privilege.Reason, StringComparison.Ordinal);
        Assert.Empty(identity.Switches);
    }

    [RequiresFact(Root = true)]
    public void Open_StayedRootAndDirectoryLaterGivenToAUser_RefusedSayingTheStepIsDecidedOnce()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(0, 0, Mode0755);
        var privilege = Step(identity, dir);
        Assert.Equal(IdentityState.Settled, privilege.Settle());

        TestPosix.Chown(dir, 1000, 1000);
        var open = privilege.Open();

        Assert.Equal(DirectoryStatus.Refused, open.Status);
        Assert.StartsWith($"{dir} belongs to uid 1000 now, but the guardian settled at its start, when root owned it, to act as root there", open.Reason,
            StringComparison.Ordinal);
        Assert.Contains("restart it", open.Reason, StringComparison.Ordinal);
        Assert.Equal(IdentityState.Settled, privilege.Settle());
        Assert.Empty(identity.Switches);
    }

    [RequiresTheory(Root = true)]
    [InlineData("777", "anyone")]
    [InlineData("775", "group 50")]
    public void Open_StayedRootAndDirectoryLaterWritableByOthers_Refused(string mode, string writer)
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(0, 50, Mode0755);
        var privilege = Step(identity, dir);
        Assert.Equal(IdentityState.Settled, privilege.Settle());

        File.SetUnixFileMode(dir, Octal(mode));

        Assert.StartsWith($"{dir} belongs to root but {writer} can write it (mode {mode})", privilege.Open().Reason, StringComparison.Ordinal);
    }

    [RequiresFact("setfacl", Root = true)]
    public void Open_StayedRootAndDirectoryLaterGivenAnAcl_RefusedNamingTheAcl()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(0, 0, Mode0755);
        var privilege = Step(identity, dir);
        Assert.Equal(IdentityState.Settled, privilege.Settle());

        OtherUser.SetAcl(dir, "u:1000:rwx");

        Assert.StartsWith($"{dir} belongs to root but its access ACL lets user 1000 write it", privilege.Open().Reason, StringComparison.Ordinal);
    }

    [RequiresFact(Root = true)]
    public void Open_StayedRoot_ReadsTheAclThroughTheHandleEveryTime()
    {
        var fs = new FaultyFileSystemCalls();
        var dir = Dir(0, 0, Mode0755);
        var privilege = new Privilege(new RecordingIdentity(uid: 0, gid: 0), fs, dir);
        privilege.Settle();

        privilege.Open().Directory!.Dispose();
        privilege.Open().Directory!.Dispose();

        Assert.Equal(3, fs.Calls(FsOp.GetXattr));
        Assert.Empty(fs.LeftOpen);
    }

    [RequiresFact(Root = true)]
    public void Open_StayedRootAndTheAclCannotBeRead_ThrowsTheErrorAndClosesEveryHandle()
    {
        var fs = new FaultyFileSystemCalls();
        var dir = Dir(0, 0, Mode0755);
        var privilege = new Privilege(new RecordingIdentity(uid: 0, gid: 0), fs, dir);
        privilege.Settle();
        fs.FailOn(FsOp.GetXattr, Errno.EIO, nth: 2);

        var ex = Assert.Throws<PosixException>(privilege.Open);

        Assert.Equal(Errno.EIO, ex.ErrorNumber);
        Assert.Empty(fs.LeftOpen);
    }

    [RequiresFact(Root = true)]
    public void Settle_TheSwitchFails_RefusedNamingTheErrorAndNothingReported()
    {
        var identity = new FailingIdentity();
        var dir = Dir(1000, 1000, Mode0755);
        var privilege = Step(identity, dir);

        Assert.Equal(IdentityState.Refused, privilege.Settle());

        Assert.StartsWith("the switch to uid 1000 gid 1000 failed (setresuid(): ", privilege.Reason, StringComparison.Ordinal);
        Assert.EndsWith($"and root does not act in {dir} instead", privilege.Reason, StringComparison.Ordinal);
        Assert.Empty(_decisions);
        Assert.Equal(DirectoryOpen.Refused(privilege.Reason), privilege.Open());
    }

    [Fact]
    public void Settle_WalkFailsWithAnError_RefusedNamingIt()
    {
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.OpenDirectory, Errno.EIO);
        var dir = _temp.Combine("x");
        var privilege = new Privilege(new RecordingIdentity(uid: 0, gid: 0), fs, dir);

        Assert.Equal(IdentityState.Refused, privilege.Settle());

        Assert.StartsWith($"whom to act as in {dir} is not decided: open(/): ", privilege.Reason, StringComparison.Ordinal);
        Assert.Empty(fs.LeftOpen);
    }

    [RequiresFact(Root = true)]
    public void AccessHint_StartedAsRootAndSwitched_NamesTheUserWhyAndTheFixNeverRoot()
    {
        var identity = new RecordingIdentity(uid: 0, gid: 0, follow: true);
        var dir = Dir(1000, 1000, Mode0755);
        var privilege = Step(identity, dir);
        privilege.Settle();

        var hint = privilege.AccessHint(new PosixException("open", dir, Errno.EACCES));

        Assert.Equal($"the guardian was started as root and acts as uid 1000 gid 1000 since its start, because it owns {dir}; "
            + $"uid 1000 may not open {dir}: give uid 1000 access (search permission on every directory on the way to {dir}, "
            + "write permission on it), or set Guardian:RunAs to a user that has it; restarting it as root changes nothing", hint);
    }

    [Fact]
    public void AccessHint_NotRoot_NamesItsUidAndTheOwnerToRunAs()
    {
        var privilege = new Privilege(new RecordingIdentity(uid: 1000, gid: 1000), LinuxFileSystemCalls.Instance, "/configs/.claude");

        var hint = privilege.AccessHint(new PosixException("rename", "/configs/.claude/settings.json", Errno.EACCES));

        Assert.Equal("the guardian runs as uid 1000, which may not rename /configs/.claude/settings.json: run it as the owner of "
            + "/configs/.claude, or start it as root, and it acts as that owner", hint);
    }

    [RequiresFact(Root = true)]
    public void AccessHint_StayedRoot_NamesWhatStillRefusesRoot()
    {
        var dir = Dir(0, 0, Mode0755);
        var privilege = Step(new RecordingIdentity(uid: 0, gid: 0), dir);
        privilege.Settle();

        var hint = privilege.AccessHint(new PosixException("unlink", dir + "/x", Errno.EPERM));

        Assert.Equal($"the guardian acts as root and still may not unlink {dir}/x: a read-only mount, an immutable attribute or a security "
            + "module (SELinux, AppArmor) refuses it; lift that restriction", hint);
    }

    [Fact]
    public void Constructor_NoIdentityOrNoFileSystemCalls_Throws()
    {
        Assert.Equal("identity", Assert.Throws<ArgumentNullException>(() => new Privilege(null!, LinuxFileSystemCalls.Instance, "/x")).ParamName);
        Assert.Equal("fs", Assert.Throws<ArgumentNullException>(() => new Privilege(new RecordingIdentity(), null!, "/x")).ParamName);
        Assert.Equal("ex", Assert.Throws<ArgumentNullException>(() => new Privilege(new RecordingIdentity(), LinuxFileSystemCalls.Instance, "/x")
            .AccessHint(null!)).ParamName);
    }

    [RequiresFact(Root = true)]
    public void Open_NotRoot_WalksWithoutRootsRule()
    {
        // From uid 1000's directory into uid 2000's: root's CHASE_SAFE rule refuses that, an ordinary user's walk does not.
        var parent = Dir(1000, 1000, Mode0755);
        var child = Path.Combine(parent, "child");
        Directory.CreateDirectory(child);
        TestPosix.Chown(child, 2000, 2000);
        var privilege = new Privilege(new RecordingIdentity(uid: 1000, gid: 1000), LinuxFileSystemCalls.Instance, child);

        using var open = privilege.Open().Directory;

        Assert.NotNull(open);
    }

    [RequiresFact(Root = true)]
    public void Settle_RootAndAnAclTheGuardianCannotRead_RefusedSayingSo()
    {
        // The kernel writes only version 2; anything else must not be taken for "nobody else can write".
        var dir = Dir(0, 0, Mode0755);
        var privilege = Step(new RecordingIdentity(uid: 0, gid: 0), dir, fs: XattrAnswer.Create([3, 0, 0, 0]));

        Assert.Equal(IdentityState.Refused, privilege.Settle());

        Assert.Equal($"{dir} belongs to root but has an access ACL the guardian cannot read: root does not act in a directory another user can "
            + "change; set Guardian:RunAs to the user to act as", privilege.Reason);
    }

    private Privilege Step(IProcessIdentity identity, string dir, (uint, uint)? runAs = null, IFileSystemCalls? fs = null) =>
        new(identity, fs ?? LinuxFileSystemCalls.Instance, dir, runAs, _decisions.Add);

    private static UnixFileMode Octal(string mode) => (UnixFileMode)Convert.ToInt32(mode, 8);

    /// <summary>A real directory with this owner and mode, checked as the walk sees it.</summary>
    private string Dir(uint uid, uint gid, UnixFileMode mode)
    {
        var path = Directory.CreateDirectory(_temp.Combine("d" + _dirs++)).FullName;
        TestPosix.Chown(path, uid, gid);
        File.SetUnixFileMode(path, mode);
        Assert.Equal(((uint)mode, uid, gid), (TestPosix.Stat(path).Mode & 0xFFF, TestPosix.Stat(path).Uid, TestPosix.Stat(path).Gid));
        return path;
    }

    /// <summary>The real system calls, but every extended attribute reads as the given bytes.</summary>
#pragma warning disable CA1852 // DispatchProxy derives its proxy from this type: it must not be sealed.
    internal class XattrAnswer : System.Reflection.DispatchProxy
#pragma warning restore CA1852
    {
        private byte[] _value = [];

        public static IFileSystemCalls Create(byte[] value)
        {
            var proxy = Create<IFileSystemCalls, XattrAnswer>();
            ((XattrAnswer)(object)proxy)._value = value;
            return proxy;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            try
            {
                return targetMethod.Name == nameof(IFileSystemCalls.GetXattr) ? _value : targetMethod.Invoke(LinuxFileSystemCalls.Instance, args);
            }
            catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }
        }
    }

    /// <summary>Root whose switch fails, as it does without CAP_SETUID.</summary>
    private sealed class FailingIdentity : IProcessIdentity
    {
        public uint Uid => 0;

        public uint Gid => 0;

        public bool InGroup(uint gid) => gid == 0;

        public void Become(uint uid, uint gid) => throw new PosixException("setresuid", "", Errno.EPERM);

        public uint? PrimaryGroupOf(uint uid) => null;

        public (uint Uid, uint Gid)? FindUser(string name) => null;
    }
}
