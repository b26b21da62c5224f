using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// How a read sizes its buffer, seen through the reads it asks for: from the stat size (one read for a file that did
/// not change, and the one that finds its end), doubling while a writer appends, never to Guardian:MaxFileBytes up
/// front (16 MiB by default, read at every change of a file of a few kilobytes), and never a read of zero bytes, whose
/// 0 would pass for the end of the file.
/// </summary>
public sealed class SettingsFileStoreReadSizeTests : IDisposable
{
    private const int Max = 1024;
    private readonly TempDirectory _temp = new();
    private readonly FaultyFileSystemCalls _fs = new();
    private readonly string _path;

    public SettingsFileStoreReadSizeTests()
    {
        _path = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(0, 1)]
    [InlineData(20, 2)]
    [InlineData(Max - 1, 2)]
    [InlineData(Max, 2)]
    public void Read_FileAsLargeAsItsStatSays_OneReadAndTheOneThatFindsTheEnd(int size, int reads)
    {
        var bytes = Enumerable.Range(0, size).Select(i => (byte)('a' + (i % 26))).ToArray();
        File.WriteAllBytes(_path, bytes);

        using var read = Store(Max).Read();

        Assert.Equal(ReadStatus.Present, read.Status);
        Assert.Equal(bytes, read.Bytes);
        Assert.Equal(reads, _fs.Calls(FsOp.Read));
    }

    [Fact]
    public void Read_SmallFileUnderTheDefaultLimit_NoReadAsksForMoreThanTwiceTheFile()
    {
        File.WriteAllBytes(_path, Original);
        var options = TestHealers.Options(_path);
        Assert.Equal(4 * 1024 * 1024, options.MaxFileBytes);

        using var read = TestHealers.Store(options, _fs).Read();

        Assert.Equal(Original, read.Bytes);
        Assert.All(_fs.ReadSizes, size => Assert.InRange(size, 1, 2 * Original.Length));
    }

    [Fact]
    public void Read_FileGrowsWhileBeingRead_TheBufferDoublesNotToTheLimit()
    {
        File.WriteAllBytes(_path, Original);
        AppendAtFirstRead(3000);

        using var read = Store(16 * 1024 * 1024).Read();

        Assert.Equal(Original.Length + 3000, read.Bytes.Length);
        Assert.All(_fs.ReadSizes, size => Assert.InRange(size, 1, 2 * read.Bytes.Length));
    }

    [Fact]
    public void Read_FileGrowsPastTheLimitWhileBeingRead_RefusedWithoutAReadOfZeroBytes()
    {
        File.WriteAllBytes(_path, Original);
        AppendAtFirstRead(Max);

        using var read = Store(Max).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.DoesNotContain(0, _fs.ReadSizes);
        Assert.Equal(Max + 1, _fs.ReadSizes.Sum());
    }

    /// <summary>A writer still appending: <paramref name="count"/> bytes land after the store's fstat, before its first read.</summary>
    private void AppendAtFirstRead(int count) => _fs.Before = (op, _, n) =>
    {
        if (op == FsOp.Read && n == 1)
        {
            File.AppendAllText(_path, new string(' ', count));
        }
    };

    private SettingsFileStore Store(long max) => TestHealers.Store(TestHealers.Options(_path, o => o.MaxFileBytes = max), _fs);
}
