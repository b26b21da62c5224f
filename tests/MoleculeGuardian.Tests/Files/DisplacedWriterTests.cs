using System.Text;
using Microsoft.Win32.SafeHandles;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// A writer that found the old file just before the guardian's exchange and writes it a moment later must not lose
/// its update into the displaced file, which nobody reads. The store's write lease on the displaced file is what
/// notices it, on the real file system.
/// </summary>
public sealed class DisplacedWriterTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);
    private static readonly byte[] Theirs = Encoding.UTF8.GetBytes("{\n  \"hooks\": {},\n  \"theirs\": true\n}\n");
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public DisplacedWriterTests()
    {
        _path = _temp.SettingsPath();
        File.WriteAllBytes(_path, Original);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Replace_WriterHoldsTheOldFileOpenAcrossTheExchange_ConflictAndItsWriteLandsAtThePath()
    {
        var store = Store(new FaultyFileSystemCalls());
        var basis = store.Read();

        // Opened before the exchange, written after it: Python's open("w") blocked between lookup and truncate, or
        // any writer that opens first and truncates later.
        using (var writer = File.OpenHandle(_path, FileMode.Open, FileAccess.Write))
        {
            Assert.Equal(ReplaceOutcome.Conflict, store.Replace(basis, Healed).Outcome);

            WriteThrough(writer, Theirs);
        }

        Assert.Equal(Theirs, File.ReadAllBytes(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_WriterOpensTheDisplacedFileWhileLeased_WaitsAndItsWriteLandsAtThePath()
    {
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);
        var basis = store.Read();
        var displacedInode = basis.Stat!.Value.Inode;
        Thread? writer = null;
        Exception? writerError = null;
        fs.Before = (op, path, _) =>
        {
            if (op != FsOp.LeaseBreaking)
            {
                return;
            }

            // The writer's open(O_TRUNC) reaches the displaced file now, under the store's lease: it must wait in the
            // kernel, untruncated, and the store must see it waiting.
            writer = new Thread(() =>
            {
                try
                {
                    using var handle = TestPosix.OpenTruncate(path);
                    WriteThrough(handle, Theirs);
                }
#pragma warning disable CA1031 // Surfaced by the test thread below.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    writerError = ex;
                }
            });
            writer.Start();
            Assert.True(SpinWait.SpinUntil(() => LeaseBreaking(displacedInode), Bounded), "the writer's open did not wait for the lease");
        };

        var outcome = store.Replace(basis, Healed).Outcome;

        Assert.Equal(ReplaceOutcome.Conflict, outcome);
        Assert.True(writer!.Join(Bounded), "the writer stayed blocked after the store let go of the displaced file");
        Assert.Null(writerError);
        Assert.Equal(Theirs, File.ReadAllBytes(_path));
        Assert.Equal(displacedInode, TestPosix.Stat(_path).Inode);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_NoWriterAnywhere_LeasesTheDisplacedFileAndReplaces()
    {
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);

        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Equal(2, fs.Calls(FsOp.TryWriteLease)); // the calibration on our temp file, then the displaced file
        Assert.Equal(1, fs.Calls(FsOp.LeaseBreaking));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_LeasesUnavailableHere_ReplacesOnTheContentCheckAlone()
    {
        // NFS, some overlay mounts, or a guardian that neither owns the file nor has CAP_LEASE: no lease to be had, so
        // the store must not read "no lease" as "somebody has it open" and fail every heal.
        var fs = new FaultyFileSystemCalls { Leases = LeaseResult.Unavailable };
        var store = Store(fs);

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);

        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Equal(1, fs.Calls(FsOp.TryWriteLease));
        Assert.Equal(0, fs.Calls(FsOp.LeaseBreaking));
    }

    [Fact]
    public void Replace_LeasesBusyEverywhere_NeverTrustsTheCalibrationAndReplaces()
    {
        // A file system that answers EAGAIN even on a file nobody else has open must not block every heal either.
        var fs = new FaultyFileSystemCalls { Leases = LeaseResult.Busy };
        var store = Store(fs);

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);

        Assert.Equal(1, fs.Calls(FsOp.TryWriteLease));
    }

    private SettingsFileStore Store(IFileSystemCalls fs) =>
        new(_path, 16 * 1024 * 1024, UnixFileMode.UserRead | UnixFileMode.UserWrite, fs, TimeProvider.System, Privilege.AsIs(new RecordingIdentity(), fs, Path.GetDirectoryName(_path)!));

    private static void WriteThrough(SafeFileHandle handle, byte[] content)
    {
        RandomAccess.SetLength(handle, 0);
        RandomAccess.Write(handle, content, 0);
    }

    /// <summary>True when /proc/locks shows a write lease on the inode being broken: an opener waits for it.</summary>
    private static bool LeaseBreaking(ulong inode) =>
        File.ReadLines("/proc/locks").Any(l => l.Contains(" LEASE ", StringComparison.Ordinal) && l.Contains(" BREAKING ", StringComparison.Ordinal)
            && l.Contains($":{inode} ", StringComparison.Ordinal));
}
