using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// The kernel's read lease, as the store relies on it (fcntl(2) "Leases"): readers never stand in its way nor break
/// it; a writer's handle, ours included, refuses it; an open for writing or a truncate(2) while it is held waits,
/// untruncated, and shows as breaking until the lease is let go.
/// </summary>
public sealed class ReadLeaseTests : IDisposable
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(10);
    private static readonly byte[] Content = "{\"lease\": 1}\n"u8.ToArray();
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public ReadLeaseTests()
    {
        _path = _temp.Combine("leased.json");
        File.WriteAllBytes(_path, Content);
    }

    private static LinuxFileSystemCalls Fs => LinuxFileSystemCalls.Instance;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void TryReadLease_AnotherReaderHasTheFileOpen_GrantedAndNotBreaking()
    {
        using var reader = File.OpenHandle(_path, FileMode.Open, FileAccess.Read);
        using var handle = TestPosix.OpenRead(_path);

        Assert.Equal(LeaseResult.Granted, Fs.TryReadLease(handle, _path));
        Assert.False(Fs.LeaseBreaking(handle, _path));
    }

    [Fact]
    public void TryReadLease_AnotherWriterHasTheFileOpen_Busy()
    {
        using var writer = File.OpenHandle(_path, FileMode.Open, FileAccess.Write);
        using var handle = TestPosix.OpenRead(_path);

        Assert.Equal(LeaseResult.Busy, Fs.TryReadLease(handle, _path));
    }

    [Fact]
    public void TryReadLease_OurOwnWriteHandleOnTheFile_Busy()
    {
        // Why the store probes no lease on its fresh temp file: the handle that wrote it counts as a writer.
        using var ours = File.OpenHandle(_path, FileMode.Open, FileAccess.Write);
        using var handle = TestPosix.OpenRead(_path);

        Assert.Equal(LeaseResult.Busy, Fs.TryReadLease(handle, _path));
        Assert.Equal(LeaseResult.Busy, Fs.TryReadLease(ours, _path));
    }

    [Fact]
    public void LeaseBreaking_ReaderOpensWhileHeld_NotBreakingAndTheReaderIsNotKept()
    {
        using var handle = TestPosix.OpenRead(_path);
        Assert.Equal(LeaseResult.Granted, Fs.TryReadLease(handle, _path));

        using (var reader = TestPosix.OpenRead(_path))
        {
            Assert.Equal(Content.Length, RandomAccess.GetLength(reader));
        }

        Assert.False(Fs.LeaseBreaking(handle, _path));
    }

    [Theory]
    [InlineData("open(O_TRUNC)")]
    [InlineData("truncate(2)")]
    public void LeaseBreaking_WriterArrivesWhileHeld_BreakingAndTheFileUntouchedUntilReleased(string how)
    {
        var handle = TestPosix.OpenRead(_path);
        Assert.Equal(LeaseResult.Granted, Fs.TryReadLease(handle, _path));
        Exception? writerError = null;
        var writer = new Thread(() =>
        {
            try
            {
                if (how == "truncate(2)")
                {
                    TestPosix.Truncate(_path, 0);
                }
                else
                {
                    using var truncated = TestPosix.OpenTruncate(_path);
                }
            }
#pragma warning disable CA1031 // Surfaced below.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                writerError = ex;
            }
        });

        try
        {
            writer.Start();
            Assert.True(SpinWait.SpinUntil(() => Fs.LeaseBreaking(handle, _path), Bounded), "the writer did not break the lease");
            Assert.Equal(Content, File.ReadAllBytes(_path));
            Assert.True(writer.IsAlive, "the writer did not wait for the lease");
        }
        finally
        {
            handle.Dispose();
        }

        Assert.True(writer.Join(Bounded), "the writer stayed blocked after the lease was let go");
        Assert.Null(writerError);
        Assert.Empty(File.ReadAllBytes(_path));
    }
}
