using System.Text;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Files;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// Failing system calls (which root cannot provoke with chmod) at every step of a replace: a clear errno, the
/// original byte-identical, no temp file left, and a heal that fails loudly instead of taking the service down.
/// </summary>
public sealed class FaultInjectionTests : IDisposable
{
    private static readonly byte[] Original = Encoding.UTF8.GetBytes("{\n  \"mcpServers\": {\n    \"other\": {\"command\": \"x\"}\n  }\n}\n");
    private static readonly int[] Errnos = [Errno.EACCES, Errno.EROFS, Errno.ENOSPC, Errno.EIO, Errno.EBUSY, Errno.EXDEV, Errno.EDQUOT];
    private static readonly FsOp[] ReplaceSteps = [FsOp.CreateExclusiveAt, FsOp.Write, FsOp.Fsync, FsOp.FChmod, FsOp.RenameAt];
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public FaultInjectionTests()
    {
        _path = _temp.SettingsPath();
        File.WriteAllBytes(_path, Original);
    }

    public static TheoryData<FsOp, int> EveryStepAndErrno()
    {
        var data = new TheoryData<FsOp, int>();
        foreach (var op in ReplaceSteps)
        {
            foreach (var errno in Errnos)
            {
                data.Add(op, errno);
            }
        }

        return data;
    }

    public static TheoryData<int> EveryErrno()
    {
        var data = new TheoryData<int>();
        foreach (var errno in Errnos)
        {
            data.Add(errno);
        }

        return data;
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [MemberData(nameof(EveryStepAndErrno))]
    public void Replace_SyscallFails_ThrowsErrnoOriginalIdenticalNoTemp(FsOp op, int errno)
    {
        var fs = new FaultyFileSystemCalls().FailOn(op, errno);
        var store = TestHealers.Store(TestHealers.Options(_path), fs);
        var read = store.Read();
        var before = TestPosix.Stat(_path);

        var ex = Assert.Throws<PosixException>(() => store.Replace(read, "{}\n"u8.ToArray()));

        Assert.Equal(Errno.Name(errno), ex.ErrnoName);
        Assert.Contains(Errno.Name(errno), ex.Message, StringComparison.Ordinal);
        Assert.Equal(Original, File.ReadAllBytes(_path));
        Assert.Equal(before, TestPosix.Stat(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
        Assert.Equal(1, fs.Calls(op));
    }

    [Theory]
    [MemberData(nameof(EveryStepAndErrno))]
    public void Replace_NewFileSyscallFails_ThrowsErrnoNothingCreatedNoTemp(FsOp op, int errno)
    {
        File.Delete(_path);
        var fs = new FaultyFileSystemCalls().FailOn(op, errno);
        var store = TestHealers.Store(TestHealers.Options(_path), fs);
        var read = store.Read();

        var ex = Assert.Throws<PosixException>(() => store.Replace(read, "{}\n"u8.ToArray()));

        Assert.Equal(Errno.Name(errno), ex.ErrnoName);
        Assert.False(File.Exists(_path));
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(_path)!));
    }

    [Theory]
    [MemberData(nameof(EveryStepAndErrno))]
    public async Task HealAsync_SyscallFails_FailedWithErrnoLoggedOriginalIdentical(FsOp op, int errno)
    {
        var log = new TestLog();
        var fs = new FaultyFileSystemCalls().FailOn(op, errno);
        var healer = TestHealers.Healer(TestHealers.Options(_path), fs, log: new Logger<Healer>(log));

        var report = await healer.HealAsync(HealTrigger.Watch, dryRun: false, CancellationToken.None);

        Assert.Equal(HealStatus.Failed, report.Status);
        Assert.Contains(Errno.Name(errno), report.Detail, StringComparison.Ordinal);
        var line = Assert.Single(log.Lines, l => l.Contains("IoFailed", StringComparison.Ordinal));
        Assert.Contains(Errno.Name(errno), line, StringComparison.Ordinal);
        Assert.Contains(FaultyFileSystemCalls.SyscallName(op), line, StringComparison.Ordinal);
        if (errno is Errno.EBUSY or Errno.EXDEV)
        {
            Assert.Contains("bind mount", line, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("bind mount", line, StringComparison.Ordinal);
        }

        Assert.Equal(Original, File.ReadAllBytes(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Theory]
    [MemberData(nameof(EveryErrno))]
    public async Task HealAsync_OpeningTheSettingsDirectoryFails_FailedWithErrnoNamingItNothingRead(int errno)
    {
        // The walk opens "/" and then one component at a time: the last open is the settings directory itself.
        var directory = Path.GetDirectoryName(_path)!;
        var log = new TestLog();
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.OpenDirectory, errno, nth: directory.Split('/', StringSplitOptions.RemoveEmptyEntries).Length + 1);
        var healer = TestHealers.Healer(TestHealers.Options(_path), fs, log: new Logger<Healer>(log));

        var report = await healer.HealAsync(HealTrigger.Watch, dryRun: false, CancellationToken.None);

        Assert.Equal(HealStatus.Failed, report.Status);
        var line = Assert.Single(log.Lines, l => l.Contains("IoFailed", StringComparison.Ordinal));
        Assert.Contains(Errno.Name(errno), line, StringComparison.Ordinal);
        Assert.Contains($"open failed on {directory} with {Errno.Name(errno)}", line, StringComparison.Ordinal);
        Assert.Equal(0, fs.Calls(FsOp.StatAt));
        Assert.Equal(0, fs.Calls(FsOp.OpenReadAt));
        Assert.Equal(Original, File.ReadAllBytes(_path));
    }

    [Theory]
    [MemberData(nameof(EveryErrno))]
    public async Task HealAsync_ReadFails_FailedWithErrnoAndFileUntouched(int errno)
    {
        var log = new TestLog();
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.OpenReadAt, errno);
        var healer = TestHealers.Healer(TestHealers.Options(_path), fs, log: new Logger<Healer>(log));

        var report = await healer.HealAsync(HealTrigger.Startup, dryRun: false, CancellationToken.None);

        Assert.Equal(HealStatus.Failed, report.Status);
        Assert.Contains(Errno.Name(errno), log.Text, StringComparison.Ordinal);
        Assert.Equal(Original, File.ReadAllBytes(_path));
        Assert.Equal(0, fs.Calls(FsOp.CreateExclusiveAt));
    }

    [Theory]
    [InlineData(FsOp.CreateExclusiveAt)]
    [InlineData(FsOp.Write)]
    [InlineData(FsOp.Fsync)]
    public async Task HealAsync_QuarantineFailsWithEnospc_RepairStopsOriginalUntouched(FsOp op)
    {
        // mcpServers is an array: the repair drops it, so a quarantine copy must exist first. No copy, no repair.
        var unusable = Encoding.UTF8.GetBytes("{\n  \"hooks\": {},\n  \"mcpServers\": [1, 2, 3]\n}\n");
        File.WriteAllBytes(_path, unusable);
        var log = new TestLog();
        var fs = new FaultyFileSystemCalls().FailOn(op, Errno.ENOSPC);
        var healer = TestHealers.Healer(TestHealers.Options(_path), fs, log: new Logger<Healer>(log));

        var report = await healer.HealAsync(HealTrigger.Watch, dryRun: false, CancellationToken.None);

        Assert.Equal(HealStatus.Failed, report.Status);
        Assert.Contains("ENOSPC", log.Text, StringComparison.Ordinal);
        Assert.Equal(unusable, File.ReadAllBytes(_path));
        Assert.Equal([_path], Directory.GetFileSystemEntries(Path.GetDirectoryName(_path)!));
        Assert.Empty(fs.Renames);
    }

    [Theory]
    [MemberData(nameof(EveryErrno))]
    public async Task HealAsync_DirectoryFsyncAfterTheRenameFails_FailedWithErrnoSoItIsRetried(int errno)
    {
        // The new file is in place but not known to be on disk: the heal reports the failure rather than success.
        var log = new TestLog();
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.FsyncDirectory, errno);
        var healer = TestHealers.Healer(TestHealers.Options(_path), fs, log: new Logger<Healer>(log));

        var report = await healer.HealAsync(HealTrigger.Watch, dryRun: false, CancellationToken.None);

        Assert.Equal(HealStatus.Failed, report.Status);
        Assert.Contains(Errno.Name(errno), Assert.Single(log.Lines, l => l.Contains("IoFailed", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Single(fs.Renames);
        Assert.Contains("molecule-platform", File.ReadAllText(_path), StringComparison.Ordinal);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public async Task HealAsync_DirectoryFsyncAfterTheQuarantineFails_RepairStopsCopyKept()
    {
        var unusable = Encoding.UTF8.GetBytes("{\n  \"mcpServers\": [1, 2, 3]\n}\n");
        File.WriteAllBytes(_path, unusable);
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.FsyncDirectory, Errno.EIO);
        var healer = TestHealers.Healer(TestHealers.Options(_path), fs);

        var report = await healer.HealAsync(HealTrigger.Watch, dryRun: false, CancellationToken.None);

        Assert.Equal(HealStatus.Failed, report.Status);
        Assert.Equal(unusable, File.ReadAllBytes(_path));
        Assert.Empty(fs.Renames);
        var copy = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(_path)!, "settings.json.corrupt-*"));
        Assert.Equal(unusable, File.ReadAllBytes(copy));
    }

    [Fact]
    public async Task HealAsync_FaultCleared_NextHealSucceeds()
    {
        var fs = new FaultyFileSystemCalls().FailOn(FsOp.Write, Errno.EIO);
        var healer = TestHealers.Healer(TestHealers.Options(_path), fs);

        var first = await healer.HealAsync(HealTrigger.Watch, dryRun: false, CancellationToken.None);
        var second = await healer.HealAsync(HealTrigger.Retry, dryRun: false, CancellationToken.None);

        Assert.Equal(HealStatus.Failed, first.Status);
        Assert.Equal(HealStatus.Healed, second.Status);
        Assert.Contains("molecule-platform", File.ReadAllText(_path), StringComparison.Ordinal);
        Assert.Contains("\"other\"", File.ReadAllText(_path), StringComparison.Ordinal);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }
}
