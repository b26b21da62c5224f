using System.Globalization;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// <see cref="SettingsFileStore.RemoveStaleTemps"/> removes only names of exactly the guardian's temp form
/// (<c>.settings.json.guardian-&lt;pid&gt;-&lt;8 lowercase hex&gt;.tmp</c>) that are plain files of a process that is gone.
/// </summary>
public sealed class StaleTempTests : IDisposable
{
    /// <summary>Above any pid_max: no process can have it.</summary>
    private const string DeadPid = "2147483000";

    private readonly TempDirectory _temp = new();
    private readonly string _path;
    private readonly string _dir;

    public StaleTempTests()
    {
        _path = _temp.SettingsPath();
        _dir = Path.GetDirectoryName(_path)!;
        File.WriteAllBytes(_path, Original);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void RemoveStaleTemps_ExactNameOfADeadPid_Removed()
    {
        var stale = Temp($"{DeadPid}-0badf00d");

        var removed = Store().RemoveStaleTemps();

        Assert.Equal([stale], removed);
        Assert.False(File.Exists(stale));
        Assert.Equal(Original, File.ReadAllBytes(_path));
    }

    [Fact]
    public void RemoveStaleTemps_ExactNameOfOurOwnPid_Removed()
    {
        var ours = Temp($"{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-12345678");

        Assert.Equal([ours], Store().RemoveStaleTemps());
        Assert.False(File.Exists(ours));
    }

    [Fact]
    public void RemoveStaleTemps_ExactNameOfALivePid_Kept()
    {
        var init = Temp("1-0badf00d");

        Assert.Empty(Store().RemoveStaleTemps());
        Assert.True(File.Exists(init));
    }

    [Theory]
    [InlineData(".settings.json.guardian-" + DeadPid + "-0badf00d.tmp.extra")]
    [InlineData(".settings.json.guardian-" + DeadPid + "-0BADF00D.tmp")]
    [InlineData(".settings.json.guardian-" + DeadPid + "-0badF00d.tmp")]
    [InlineData(".settings.json.guardian-" + DeadPid + "-0badf00.tmp")]
    [InlineData(".settings.json.guardian-" + DeadPid + "-0badf00d0.tmp")]
    [InlineData(".settings.json.guardian-" + DeadPid + "-0badf0gd.tmp")]
    [InlineData(".settings.json.guardian-" + DeadPid + "0badf00d.tmp")]
    [InlineData(".settings.json.guardian--0badf00d.tmp")]
    [InlineData(".settings.json.guardian-0-0badf00d.tmp")]
    [InlineData(".settings.json.guardian-+2147483000-0badf00d.tmp")]
    [InlineData(".settings.json.guardian- 2147483000-0badf00d.tmp")]
    [InlineData(".settings.json.guardian-99999999999-0badf00d.tmp")]
    [InlineData(".settings.json.guardian-" + DeadPid + "-0badf00d.TMP")]
    [InlineData("x.settings.json.guardian-" + DeadPid + "-0badf00d.tmp")]
    [InlineData(".other.json.guardian-" + DeadPid + "-0badf00d.tmp")]
    [InlineData("settings.json.guardian-" + DeadPid + "-0badf00d.tmp")]
    public void RemoveStaleTemps_NameNotExactlyTheGuardiansForm_Kept(string name)
    {
        var control = Temp($"{DeadPid}-0badf00d");
        var alike = Path.Combine(_dir, name);
        File.WriteAllText(alike, "not ours");

        var removed = Store().RemoveStaleTemps();

        Assert.Equal([control], removed);
        Assert.Equal("not ours", File.ReadAllText(alike));
    }

    [Fact]
    public void RemoveStaleTemps_PidWithLeadingZero_Kept()
    {
        // The guardian writes its pid without leading zeros: "0" + a dead pid is not a name it ever made.
        var alike = Temp("0" + DeadPid + "-0badf00d");

        Assert.Empty(Store().RemoveStaleTemps());
        Assert.True(File.Exists(alike));
    }

    [Fact]
    public void RemoveStaleTemps_DirectoryWithAStaleName_Kept()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_dir, $".settings.json.guardian-{DeadPid}-0badf00d.tmp")).FullName;

        Assert.Empty(Store().RemoveStaleTemps());
        Assert.True(Directory.Exists(directory));
    }

    [Fact]
    public void RemoveStaleTemps_SymlinkWithAStaleName_LinkAndTargetKept()
    {
        var target = _temp.Combine("precious");
        File.WriteAllText(target, "precious");
        var link = Path.Combine(_dir, $".settings.json.guardian-{DeadPid}-0badf00d.tmp");
        File.CreateSymbolicLink(link, target);

        Assert.Empty(Store().RemoveStaleTemps());
        Assert.Equal(FileKind.Symlink, TestPosix.Stat(link).Kind);
        Assert.Equal("precious", File.ReadAllText(target));
    }

    [Fact]
    public void RemoveStaleTemps_HardLinkedFileWithAStaleName_BothNamesKept()
    {
        var other = _temp.Combine("elsewhere");
        File.WriteAllText(other, "linked");
        var link = Path.Combine(_dir, $".settings.json.guardian-{DeadPid}-0badf00d.tmp");
        TestPosix.HardLink(other, link);

        Assert.Empty(Store().RemoveStaleTemps());
        Assert.Equal("linked", File.ReadAllText(link));
        Assert.Equal(2u, TestPosix.Stat(other).Links);
    }

    [Fact]
    public void RemoveStaleTemps_FifoWithAStaleName_Kept()
    {
        var fifo = Path.Combine(_dir, $".settings.json.guardian-{DeadPid}-0badf00d.tmp");
        TestPosix.MakeFifo(fifo);

        Assert.Empty(Store().RemoveStaleTemps());
        Assert.Equal(FileKind.Fifo, TestPosix.Stat(fifo).Kind);
    }

    [Fact]
    public void RemoveStaleTemps_Enumerated_EachRemovalYieldedWhileTheDirectoryIsStillBeingRead()
    {
        // A stream, not a list: at start a directory of a million names must cost time, not memory (the list of
        // names, and of removals, ran the guardian out of memory under MemoryMax=64M).
        var first = Temp($"{DeadPid}-0badf00d");
        var second = Temp($"{DeadPid}-0badf00e");
        var fs = new FaultyFileSystemCalls();
        var removed = new List<string>();

        using (var removals = Store(fs).RemoveStaleTemps().GetEnumerator())
        {
            Assert.Equal(0, fs.Calls(FsOp.ListNames)); // nothing happens until it is enumerated
            while (removals.MoveNext())
            {
                removed.Add(removals.Current);
                Assert.Equal(0, fs.ListingsClosed);
            }
        }

        Assert.Equal([first, second], removed.Order(StringComparer.Ordinal));
        Assert.Equal((1, 1), (fs.Calls(FsOp.ListNames), fs.ListingsClosed));
        Assert.Empty(fs.LeftOpen);
    }

    private string Temp(string middle)
    {
        var path = Path.Combine(_dir, $".settings.json.guardian-{middle}.tmp");
        File.WriteAllBytes(path, Original);
        return path;
    }

    private SettingsFileStore Store(IFileSystemCalls? fs = null) => TestHealers.Store(TestHealers.Options(_path), fs);
}
