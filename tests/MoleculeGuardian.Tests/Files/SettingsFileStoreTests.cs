using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>The store against the real file system: reads, refusals, atomic replace, owner and mode, conflicts, quarantine.</summary>
public sealed class SettingsFileStoreTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(5);
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public SettingsFileStoreTests()
    {
        _path = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Read_RegularFile_ReturnsPresentWithBytesAndStat()
    {
        File.WriteAllBytes(_path, Original);

        var read = Store().Read();

        Assert.Equal(ReadStatus.Present, read.Status);
        Assert.Equal(Original, read.Bytes);
        Assert.Equal("", read.Reason);
        Assert.Equal(FileKind.Regular, read.Stat!.Value.Kind);
        Assert.Equal(TestPosix.Stat(_path).Fingerprint, read.Stat.Value.Fingerprint);
    }

    [Fact]
    public void Read_FileMissingDirectoryPresent_ReturnsAbsent()
    {
        Assert.Equal(ReadStatus.Absent, Store().Read().Status);
    }

    [Fact]
    public void Read_DirectoryMissing_ReturnsDirectoryMissing()
    {
        var path = _temp.Combine("nowhere", "settings.json");

        Assert.Equal(ReadStatus.DirectoryMissing, Store(path).Read().Status);
    }

    [Fact]
    public void Read_SymlinkToRealFile_RefusedAndNothingReadThroughIt()
    {
        var target = _temp.Combine("real.json");
        File.WriteAllBytes(target, Original);
        File.CreateSymbolicLink(_path, target);
        var fs = new FaultyFileSystemCalls();

        var read = Store(fs: fs).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Contains("symbolic link", read.Reason, StringComparison.Ordinal);
        Assert.Empty(read.Bytes);
        Assert.Equal(0, fs.Calls(FsOp.OpenReadAt));
        Assert.Equal(0, fs.Calls(FsOp.Read));
        Assert.Equal(FileKind.Symlink, TestPosix.Stat(_path).Kind);
        Assert.Equal(Original, File.ReadAllBytes(target));
    }

    [Fact]
    public async Task Read_Fifo_RefusedWithoutBlocking()
    {
        TestPosix.MakeFifo(_path);
        var before = TestPosix.Stat(_path);

        var read = await Task.Run(() => Store().Read()).WaitAsync(Bounded);

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Contains("FIFO", read.Reason, StringComparison.Ordinal);
        Assert.Equal(before, TestPosix.Stat(_path));
    }

    [Fact]
    public async Task OpenRead_FifoSwappedInAfterLstat_DoesNotBlock()
    {
        // The lstat-then-open window: if a FIFO appears between the two, the open itself must not hang (O_NONBLOCK).
        TestPosix.MakeFifo(_path);

        using var handle = await Task.Run(() => TestPosix.OpenRead(_path)).WaitAsync(Bounded);

        Assert.Equal(FileKind.Fifo, LinuxFileSystemCalls.Instance.FStat(handle, _path).Kind);
    }

    [Fact]
    public async Task Read_FifoSwappedInAfterLstat_RefusedWithoutBlocking()
    {
        File.WriteAllBytes(_path, Original);
        var fs = new FaultyFileSystemCalls();
        fs.Before = (op, _, _) =>
        {
            if (op == FsOp.OpenReadAt && File.Exists(_path) && TestPosix.Stat(_path).Kind == FileKind.Regular)
            {
                File.Delete(_path);
                TestPosix.MakeFifo(_path);
            }
        };

        var read = await Task.Run(() => Store(fs: fs).Read()).WaitAsync(Bounded);

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Contains("FIFO", read.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_UnixSocket_Refused()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(_path));
        var before = TestPosix.Stat(_path);

        var read = await Task.Run(() => Store().Read()).WaitAsync(Bounded);

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Contains("socket", read.Reason, StringComparison.Ordinal);
        Assert.Equal(before, TestPosix.Stat(_path));
    }

    [RequiresFact(Root = true)]
    public async Task Read_CharDevice_RefusedAndNeverOpened()
    {
        TestPosix.MakeCharDevice(_path, 1, 3); // /dev/null's numbers
        var fs = new FaultyFileSystemCalls();

        var read = await Task.Run(() => Store(fs: fs).Read()).WaitAsync(Bounded);

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Contains("character device", read.Reason, StringComparison.Ordinal);
        Assert.Equal(0, fs.Calls(FsOp.OpenReadAt));
        Assert.Equal(FileKind.CharDevice, TestPosix.Stat(_path).Kind);
    }

    [Fact]
    public void Read_Directory_Refused()
    {
        Directory.CreateDirectory(_path);
        File.WriteAllBytes(Path.Combine(_path, "inside"), Original);

        var read = Store().Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Contains("directory", read.Reason, StringComparison.Ordinal);
        Assert.Equal(Original, File.ReadAllBytes(Path.Combine(_path, "inside")));
    }

    [Fact]
    public void Read_OverMaxFileBytes_RefusedAndUntouched()
    {
        var big = Encoding.UTF8.GetBytes("{\"k\": \"" + new string('x', 2000) + "\"}\n");
        File.WriteAllBytes(_path, big);
        var before = TestPosix.Stat(_path);

        var read = Store(maxFileBytes: 1024).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Contains("MaxFileBytes", read.Reason, StringComparison.Ordinal);
        Assert.Empty(read.Bytes);
        Assert.Equal(before, TestPosix.Stat(_path));
        Assert.Equal(big, File.ReadAllBytes(_path));
    }

    [Fact]
    public void Read_ExactlyMaxFileBytes_Present()
    {
        var exact = new byte[1024];
        Array.Fill(exact, (byte)' ');
        File.WriteAllBytes(_path, exact);

        var read = Store(maxFileBytes: 1024).Read();

        Assert.Equal(ReadStatus.Present, read.Status);
        Assert.Equal(exact, read.Bytes);
    }

    [Fact]
    public void Replace_ExistingFileOwnedBy1000Mode0600_KeepsOwnerAndMode()
    {
        File.WriteAllBytes(_path, Original);
        TestPosix.Chown(_path, 1000, 1000);
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var store = Store();

        var outcome = store.Replace(store.Read(), Healed).Outcome;

        Assert.Equal(ReplaceOutcome.Replaced, outcome);
        var after = TestPosix.Stat(_path);
        Assert.Equal((1000u, 1000u, "600"), (after.Uid, after.Gid, TestPosix.ModeOf(_path)));
        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [RequiresFact(Root = true)]
    public void Replace_ExistingFileMode0664_KeepsMode()
    {
        File.WriteAllBytes(_path, Original);
        File.SetUnixFileMode(_path, (UnixFileMode)Convert.ToInt32("664", 8));
        var store = Store();

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);

        Assert.Equal("664", TestPosix.ModeOf(_path));
        Assert.Equal((0u, 0u), (TestPosix.Stat(_path).Uid, TestPosix.Stat(_path).Gid));
    }

    [Fact]
    public void Replace_NewFile_TakesDirectoryOwnerAndMode0644()
    {
        var dir = Path.GetDirectoryName(_path)!;
        TestPosix.Chown(dir, 1000, 1000);
        // Root as the identity step leaves it in a directory of 1000's: the recording identity stays root, where the
        // real one would be 1000 and create the file as itself; either way it is the owner's.
        var privilege = TestHealers.IdentityStep(_path);
        privilege.Settle();
        var store = TestHealers.Store(TestHealers.Options(_path), privilege: privilege);
        var read = store.Read();
        Assert.Equal(ReadStatus.Absent, read.Status);

        var outcome = store.Replace(read, Healed).Outcome;

        Assert.Equal(ReplaceOutcome.Replaced, outcome);
        var after = TestPosix.Stat(_path);
        Assert.Equal((1000u, 1000u, "644"), (after.Uid, after.Gid, TestPosix.ModeOf(_path)));
        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_Replaced_NoTempAndDisplacedFileGone()
    {
        File.WriteAllBytes(_path, Original);
        var store = Store();

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);

        Assert.Equal([_path], Directory.GetFiles(Path.GetDirectoryName(_path)!));
    }

    [Fact]
    public void Replace_InPlaceRewriteBetweenReadAndReplace_ConflictAndWriterContentIntact()
    {
        File.WriteAllBytes(_path, Original);
        var store = Store();
        var read = store.Read();
        var inode = TestPosix.Stat(_path).Inode;
        var theirs = Encoding.UTF8.GetBytes("{\n  \"hooks\": {},\n  \"theirs\": 1\n}\n");
        File.WriteAllBytes(_path, theirs); // truncate-then-write, same inode

        var outcome = store.Replace(read, Healed).Outcome;

        Assert.Equal(ReplaceOutcome.Conflict, outcome);
        Assert.Equal(theirs, File.ReadAllBytes(_path));
        Assert.Equal(inode, TestPosix.Stat(_path).Inode);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_RenameReplaceBetweenReadAndReplace_ConflictAndWriterContentIntact()
    {
        File.WriteAllBytes(_path, Original);
        var store = Store();
        var read = store.Read();
        var theirs = Encoding.UTF8.GetBytes("{\n  \"hooks\": {},\n  \"theirs\": 2\n}\n");
        File.WriteAllBytes(_path + ".tmp", theirs);
        File.Move(_path + ".tmp", _path, overwrite: true);

        var outcome = store.Replace(read, Healed).Outcome;

        AssertWriterWon(outcome, theirs);
        Assert.False(File.Exists(_path + ".tmp"));
    }

    [Fact]
    public void Replace_SameSizeInPlaceRewriteAfterFingerprintCheck_ConflictAndWriterContentIntact()
    {
        // The rewrite lands after the store's last look and just before the exchange, with the same size: only the
        // comparison of the displaced bytes can notice it.
        File.WriteAllBytes(_path, Original);
        var theirs = Encoding.UTF8.GetBytes("{\n  \"hooks\": []\n}\n");
        Assert.Equal(Original.Length, theirs.Length);
        var outcome = ReplaceWhileWriterActsAtFirstRename(() => File.WriteAllBytes(_path, theirs));

        AssertWriterWon(outcome, theirs);
    }

    [Fact]
    public void Replace_RenameReplaceJustBeforeExchange_ConflictAndWriterContentIntact()
    {
        File.WriteAllBytes(_path, Original);
        var theirs = Encoding.UTF8.GetBytes("{\"theirs\": 3}\n");
        var outcome = ReplaceWhileWriterActsAtFirstRename(() =>
        {
            File.WriteAllBytes(_path + ".tmp", theirs);
            File.Move(_path + ".tmp", _path, overwrite: true);
        });

        AssertWriterWon(outcome, theirs);
    }

    [Fact]
    public void Replace_WriterKeepsWritingInPlaceAcrossTheExchange_NewestWriterContentSurvives()
    {
        // Writer round 1 lands after the store's fingerprint check and before the exchange; round 2 opens the path
        // right after the exchange (so it writes into the guardian's new inode) and holds a newer, fuller view.
        // Whatever the store does about the conflict, the newest bytes the writer wrote must be what stays.
        File.WriteAllBytes(_path, Original);
        var w1 = Encoding.UTF8.GetBytes("{\n  \"writer-1\": 1\n}\n");
        var w2 = Encoding.UTF8.GetBytes("{\n  \"writer-1\": 1,\n  \"writer-2\": 2\n}\n");
        var fs = new FaultyFileSystemCalls();
        fs.Before = (op, _, n) =>
        {
            if (op == FsOp.RenameAt && n == 1)
            {
                File.WriteAllBytes(_path, w1);
            }
        };
        fs.After = (op, _, n) =>
        {
            if (op == FsOp.RenameAt && n == 1)
            {
                File.WriteAllBytes(_path, w2);
            }
        };
        var store = Store(fs: fs);

        var outcome = store.Replace(store.Read(), Healed).Outcome;

        Assert.Equal(ReplaceOutcome.Conflict, outcome);
        Assert.Equal(Encoding.UTF8.GetString(w2), File.ReadAllText(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_FileCreatedAfterAbsentRead_ConflictAndWriterContentIntact()
    {
        var store = Store();
        var read = store.Read();
        Assert.Equal(ReadStatus.Absent, read.Status);
        File.WriteAllBytes(_path, Original);

        var outcome = store.Replace(read, Healed).Outcome;

        AssertWriterWon(outcome, Original);
    }

    [Fact]
    public void Replace_FileDeletedAfterRead_ConflictAndNothingCreated()
    {
        File.WriteAllBytes(_path, Original);
        var store = Store();
        var read = store.Read();
        File.Delete(_path);

        var outcome = store.Replace(read, Healed).Outcome;

        Assert.Equal(ReplaceOutcome.Conflict, outcome);
        Assert.False(File.Exists(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Quarantine_Copy_Mode0600ExactBytesAndOwnerOfOriginal()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF, (byte)'{', 0x00, 0xFF, (byte)'\n' };
        var owner = new FileStat(FileKind.Regular, 0x1A4, 1000, 1000, bytes.Length, 0, 0, 0, 0);

        var copy = Store().Quarantine(bytes, "corrupt", owner, keep: 5);

        Assert.StartsWith(_path + ".corrupt-", copy, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(copy));
        Assert.Equal("600", TestPosix.ModeOf(copy));
        Assert.Equal((1000u, 1000u), (TestPosix.Stat(copy).Uid, TestPosix.Stat(copy).Gid));
    }

    [Fact]
    public void Quarantine_MoreThanKeep_OnlyNewestKept()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var store = Store(time: time);
        var copies = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            copies.Add(store.Quarantine(Encoding.UTF8.GetBytes("copy " + i), "corrupt", null, keep: 3));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var left = Directory.GetFiles(Path.GetDirectoryName(_path)!, "settings.json.corrupt-*").Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(copies[3..], left);
        Assert.Equal(["copy 3", "copy 4", "copy 5"], left.Select(File.ReadAllText));
    }

    [Fact]
    public void Quarantine_SameTimestampTwice_BothKeptUnderDistinctNames()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var store = Store(time: time);

        var first = store.Quarantine("one"u8.ToArray(), "replaced", null, keep: 5);
        var second = store.Quarantine("two"u8.ToArray(), "replaced", null, keep: 5);

        Assert.NotEqual(first, second);
        Assert.Equal("one", File.ReadAllText(first));
        Assert.Equal("two", File.ReadAllText(second));
    }

    [Fact]
    public void Quarantine_OtherKind_NotPrunedByThisKind()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var store = Store(time: time);
        var replaced = store.Quarantine("r"u8.ToArray(), "replaced", null, keep: 1);
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            store.Quarantine("c"u8.ToArray(), "corrupt", null, keep: 1);
        }

        Assert.True(File.Exists(replaced));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(_path)!, "settings.json.corrupt-*"));
    }

    [Fact]
    public void RemoveStaleTemps_DeadAndLivePids_RemovesOnlyDeadOnes()
    {
        var dir = Path.GetDirectoryName(_path)!;
        var dead = Path.Combine(dir, ".settings.json.guardian-2147483000-0badf00d.tmp");
        var init = Path.Combine(dir, ".settings.json.guardian-1-0badf00d.tmp");
        var parentPid = ParentPid();
        var parent = Path.Combine(dir, $".settings.json.guardian-{parentPid}-0badf00d.tmp");
        var foreign = Path.Combine(dir, "settings.json.tmp");
        foreach (var file in new[] { dead, init, parent, foreign, _path })
        {
            File.WriteAllBytes(file, Original);
        }

        var removed = Store().RemoveStaleTemps();

        Assert.Equal([dead], removed);
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(init));
        Assert.True(File.Exists(parent));
        Assert.True(File.Exists(foreign));
        Assert.Equal(Original, File.ReadAllBytes(_path));
    }

    private static int ParentPid()
    {
        // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after the last ')'.
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private SettingsFileStore Store(string? path = null, long maxFileBytes = 16 * 1024 * 1024, IFileSystemCalls? fs = null, TimeProvider? time = null) =>
        TestHealers.Store(TestHealers.Options(path ?? _path, o => o.MaxFileBytes = maxFileBytes), fs, time);

    /// <summary>Replaces while "another writer" acts just before the store's first rename (after its last look).</summary>
    private ReplaceOutcome ReplaceWhileWriterActsAtFirstRename(Action write)
    {
        var fs = new FaultyFileSystemCalls();
        fs.Before = (op, _, n) =>
        {
            if (op == FsOp.RenameAt && n == 1)
            {
                write();
            }
        };
        var store = Store(fs: fs);
        return store.Replace(store.Read(), Healed).Outcome;
    }

    /// <summary>A lost race, handled: nothing replaced, the other writer's bytes intact, no temp file left.</summary>
    private void AssertWriterWon(ReplaceOutcome outcome, byte[] theirs)
    {
        Assert.Equal(ReplaceOutcome.Conflict, outcome);
        Assert.Equal(theirs, File.ReadAllBytes(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }
}
