using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using MoleculeGuardian.Files;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;
using MoleculeGuardian.Healing;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// A guardian that is not root cannot give a replacement another user's ownership: such a file is refused, untouched.
/// Root keeps whatever owner the file had. The files are chowned for real (root); the identity is only recorded.
/// </summary>
public sealed class StoreOwnershipTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public StoreOwnershipTests()
    {
        _path = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    [RequiresFact(Root = true)]
    public void Replace_NotRootAndFileOfAnotherUser_RefusedWithTheOwnerReasonAndFileUntouched()
    {
        WriteOwned(Original, 2000, 2000);
        var before = TestPosix.Stat(_path);
        var store = Store(new RecordingIdentity(uid: 1000, gid: 1000));
        using var read = store.Read();
        Assert.Equal(ReadStatus.Present, read.Status);

        var reason = store.OwnerRefusal(read);
        var result = store.Replace(read, Healed);

        Assert.Equal(
            "the file belongs to 2000:2000 and the guardian acts as 1000:1000, so a replacement could not keep that owner; "
                + "chown the file to the directory's owner, or run the guardian as its owner",
            reason);
        Assert.Equal(new ReplaceResult(ReplaceOutcome.Refused, Reason: reason!), result);
        Assert.Equal(Original, File.ReadAllBytes(_path));
        Assert.Equal(before, TestPosix.Stat(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [RequiresFact(Root = true)]
    public void Replace_NotRootAndFileOfTheSameUserAndGroup_Replaced()
    {
        WriteOwned(Original, 1000, 1000);
        var store = Store(new RecordingIdentity(uid: 1000, gid: 1000));
        using var read = store.Read();

        Assert.Null(store.OwnerRefusal(read));
        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(read, Healed).Outcome);
        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [RequiresFact(Root = true)]
    public void Replace_NotRootAndFileOfOurUserInASupplementaryGroupOfOurs_Replaced()
    {
        WriteOwned(Original, 1000, 50);
        var identity = new RecordingIdentity(uid: 1000, gid: 1000);
        identity.Groups.Add(50);
        var store = Store(identity);
        using var read = store.Read();

        Assert.Null(store.OwnerRefusal(read));
        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(read, Healed).Outcome);
        Assert.Equal(Healed, File.ReadAllBytes(_path));
    }

    [RequiresFact(Root = true)]
    public void Replace_NotRootAndFileOfOurUserInAGroupNotOurs_Refused()
    {
        WriteOwned(Original, 1000, 50);
        var identity = new RecordingIdentity(uid: 1000, gid: 1000);
        identity.Groups.Add(51);
        var store = Store(identity);
        using var read = store.Read();

        var result = store.Replace(read, Healed);

        Assert.Equal(ReplaceOutcome.Refused, result.Outcome);
        Assert.StartsWith("the file belongs to 1000:50 ", result.Reason, StringComparison.Ordinal);
        Assert.Equal(store.OwnerRefusal(read), result.Reason);
        Assert.Equal(Original, File.ReadAllBytes(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [RequiresFact(Root = true)]
    public void Heal_NotRootAndFileOfAnotherUserNeedingARepair_RefusedWithoutQuarantineCopy()
    {
        var broken = Encoding.UTF8.GetBytes("{\"mcpServers\": 5}\n");
        WriteOwned(broken, 2000, 2000);

        var report = Healer(new RecordingIdentity(uid: 1000, gid: 1000)).Heal(HealTrigger.Startup);

        Assert.Equal(HealStatus.Refused, report.Status);
        Assert.StartsWith("the file belongs to 2000:2000", report.Detail, StringComparison.Ordinal);
        Assert.Null(report.Quarantined);
        Assert.Equal(broken, File.ReadAllBytes(_path));
        Assert.Equal(["settings.json"], Directory.GetFileSystemEntries(Path.GetDirectoryName(_path)!).Select(Path.GetFileName));
    }

    [RequiresFact(Root = true)]
    public void Heal_NotRootAndOwnFileNeedingTheSameRepair_HealedWithQuarantineCopy()
    {
        // The control for the test above: the same file, ours, is repaired and its bytes kept.
        var broken = Encoding.UTF8.GetBytes("{\"mcpServers\": 5}\n");
        WriteOwned(broken, 1000, 1000);

        var report = Healer(new RecordingIdentity(uid: 1000, gid: 1000)).Heal(HealTrigger.Startup);

        Assert.Equal(HealStatus.Healed, report.Status);
        Assert.NotNull(report.Quarantined);
        Assert.Equal(broken, File.ReadAllBytes(report.Quarantined));
    }

    [RequiresFact(Root = true)]
    public void Replace_RootAndFileOfAnotherUser_ReplacedKeepingOwnerAndMode()
    {
        WriteOwned(Original, 2000, 2000);
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var identity = new RecordingIdentity(uid: 0, gid: 0);
        var store = Store(identity);
        using var read = store.Read();

        Assert.Null(store.OwnerRefusal(read));
        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(read, Healed).Outcome);

        var after = TestPosix.Stat(_path);
        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Equal((2000u, 2000u), (after.Uid, after.Gid));
        Assert.Equal("640", TestPosix.ModeOf(_path));
        Assert.Empty(identity.Switches);
    }

    [RequiresFact(Root = true)]
    public void Replace_NotRootAndNoFileInAnotherUsersDirectory_CreatedAsOurselvesNotChownedToTheDirectorysOwner()
    {
        // Only root hands a new file to the directory's owner; anyone else creates it as itself (here the process's
        // real identity, since the recorded one is not switched to), with no chown.
        TestPosix.Chown(Path.GetDirectoryName(_path)!, 2000, 2000);
        var fs = new FaultyFileSystemCalls();
        var store = TestHealers.Store(TestHealers.Options(_path), fs, identity: new RecordingIdentity(uid: 1000, gid: 1000));
        using var read = store.Read();
        Assert.Equal(ReadStatus.Absent, read.Status);

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(read, Healed).Outcome);

        Assert.Equal(0, fs.Calls(FsOp.FChown));
        Assert.NotEqual(2000u, TestPosix.Stat(_path).Uid);
        Assert.Equal(Healed, File.ReadAllBytes(_path));
    }

    private void WriteOwned(byte[] bytes, uint uid, uint gid)
    {
        File.WriteAllBytes(_path, bytes);
        TestPosix.Chown(_path, uid, gid);
    }

    private SettingsFileStore Store(RecordingIdentity identity) =>
        TestHealers.Store(TestHealers.Options(_path), identity: identity);

    private Healer Healer(RecordingIdentity identity)
    {
        var options = TestHealers.Options(_path);
        return new Healer(TestHealers.Store(options, identity: identity), TestHealers.Rules(options), options.KeepQuarantined, TimeProvider.System,
            NullLogger<Healer>.Instance, new GuardianMetrics(new TestHealers.TestMeterFactory()));
    }
}
