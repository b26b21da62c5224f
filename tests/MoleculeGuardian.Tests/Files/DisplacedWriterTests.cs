using System.Text;
using Microsoft.Win32.SafeHandles;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// A writer that found the old file just before the guardian's exchange and writes it a moment later must not lose
/// its update into the displaced file, which nobody reads. The store's read lease on the displaced file is what
/// notices it, on the real file system; a reader holding the file must not stop the heal.
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
    public void Replace_ReaderHoldsTheFileOpen_LeaseGrantedAndReplaced()
    {
        // tail -f, an editor, any uid: a reader cannot lose an update, so it must not stop the heal. A write lease
        // was refused while it held the file, and every heal was put back as a conflict.
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);
        var basis = store.Read();

        using (var reader = File.OpenHandle(_path, FileMode.Open, FileAccess.Read))
        {
            var result = store.Replace(basis, Healed);

            Assert.Equal(new ReplaceResult(ReplaceOutcome.Replaced, result.RenamedAt), result);
            Assert.Equal(Original.Length, RandomAccess.GetLength(reader));
        }

        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Equal(1, fs.Calls(FsOp.LeaseBreaking)); // asked only of a lease that was granted
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_WriterHoldsTheOldFileOpen_ConflictPutBackThenReplacedOnceItCloses()
    {
        // Somebody has the file open for writing and has not written yet (a writer paused between its open and its
        // write): the read lease is busy. Dropping the file now would send that write into a file nobody reads, so
        // the file is put back, as it was, for the writer; once it closes, the replace goes ahead.
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);
        var basis = store.Read();
        var original = File.ReadAllBytes(_path);

        using (var writer = File.OpenHandle(_path, FileMode.Open, FileAccess.Write))
        {
            var held = store.Replace(basis, Healed);
            Assert.Equal((ReplaceOutcome.Conflict, ConflictCause.WriterHolds), (held.Outcome, held.Cause));
            Assert.Equal(original, File.ReadAllBytes(_path));
            Assert.Equal(basis.Stat!.Value.Inode, TestPosix.Stat(_path).Inode);
        }

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);
        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Equal(0, fs.Calls(FsOp.LeaseBreaking) - 1);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_WriterWithTheOldFileOpenWritesAcrossTheExchange_ContentChangedAndItsWriteLandsAtThePath()
    {
        // Opened before the exchange, written right after it (before the store looks at what it displaced): the lease
        // is busy, which is the conflict (the content check would catch this write too).
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);
        var basis = store.Read();
        using var writer = File.OpenHandle(_path, FileMode.Open, FileAccess.Write);
        fs.Before = (op, _, _) =>
        {
            if (op == FsOp.TryReadLease)
            {
                WriteThrough(writer, Theirs);
            }
        };

        var result = store.Replace(basis, Healed);

        Assert.Equal(ConflictCause.WriterHolds, result.Cause);
        Assert.Equal(ReplaceOutcome.Conflict, result.Outcome);
        Assert.Equal(0, fs.Calls(FsOp.LeaseBreaking));
        Assert.Equal(Theirs, File.ReadAllBytes(_path));
        Assert.Equal(basis.Stat!.Value.Inode, TestPosix.Stat(_path).Inode);
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

        var result = store.Replace(basis, Healed);

        Assert.Equal(ReplaceResult.Conflict(ConflictCause.WriterOpened), result);
        Assert.True(writer!.Join(Bounded), "the writer stayed blocked after the store let go of the displaced file");
        Assert.Null(writerError);
        Assert.Equal(Theirs, File.ReadAllBytes(_path));
        Assert.Equal(displacedInode, TestPosix.Stat(_path).Inode);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_ReaderOpensTheDisplacedFileWhileLeased_NoBreakAndReplaced()
    {
        // Only an open for writing breaks a read lease: a reader arriving during the store's few system calls does
        // not send the heal round again.
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);
        var basis = store.Read();
        SafeFileHandle? reader = null;
        fs.Before = (op, path, _) =>
        {
            if (op == FsOp.LeaseBreaking)
            {
                reader = TestPosix.OpenRead(path);
            }
        };

        var result = store.Replace(basis, Healed);

        using (reader)
        {
            Assert.Equal(ReplaceOutcome.Replaced, result.Outcome);
            Assert.NotNull(reader);
        }

        Assert.Equal(Healed, File.ReadAllBytes(_path));
    }

    [Fact]
    public void Replace_NoWriterAnywhere_LeasesOnlyTheDisplacedFileAndReplaces()
    {
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);

        Assert.Equal(Healed, File.ReadAllBytes(_path));
        // One lease, on the displaced file: none is probed on the temp file, whose own write handle would make a read
        // lease busy anyway.
        Assert.Equal([FsOp.RenameAt, FsOp.OpenReadAt, FsOp.TryReadLease], fs.Trace.Select(t => t.Op)
            .SkipWhile(op => op != FsOp.RenameAt).Take(3));
        Assert.Equal(1, fs.Calls(FsOp.TryReadLease));
        Assert.Equal(1, fs.Calls(FsOp.LeaseBreaking));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_NoLeaseToBeHad_ReplacesOnTheContentCheckAlone()
    {
        // Unavailable: NFS, FUSE, fs.leases-enable=0, a file the guardian neither owns nor may lease.
        var fs = new FaultyFileSystemCalls { Leases = LeaseResult.Unavailable };
        var store = Store(fs);

        Assert.Equal(ReplaceOutcome.Replaced, store.Replace(store.Read(), Healed).Outcome);

        Assert.Equal(Healed, File.ReadAllBytes(_path));
        Assert.Equal(1, fs.Calls(FsOp.TryReadLease));
        Assert.Equal(0, fs.Calls(FsOp.LeaseBreaking));
    }

    [Fact]
    public void Replace_LeaseAlwaysBusy_ConflictAndTheFileAsItWas()
    {
        var fs = new FaultyFileSystemCalls { Leases = LeaseResult.Busy };
        var store = Store(fs);
        var original = File.ReadAllBytes(_path);

        var result = store.Replace(store.Read(), Healed);

        Assert.Equal((ReplaceOutcome.Conflict, ConflictCause.WriterHolds), (result.Outcome, result.Cause));
        Assert.Equal(original, File.ReadAllBytes(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    private SettingsFileStore Store(IFileSystemCalls fs) =>
        new(_path, 16 * 1024 * 1024, UnixFileMode.UserRead | UnixFileMode.UserWrite, fs, TimeProvider.System, Privilege.AsIs(new RecordingIdentity(), fs, Path.GetDirectoryName(_path)!));

    private static void WriteThrough(SafeFileHandle handle, byte[] content)
    {
        RandomAccess.SetLength(handle, 0);
        RandomAccess.Write(handle, content, 0);
    }

    /// <summary>True when /proc/locks shows a lease on the inode being broken: an opener waits for it.</summary>
    private static bool LeaseBreaking(ulong inode) =>
        File.ReadLines("/proc/locks").Any(l => l.Contains(" LEASE ", StringComparison.Ordinal) && l.Contains(" BREAKING ", StringComparison.Ordinal)
            && l.Contains($":{inode} ", StringComparison.Ordinal));
}
