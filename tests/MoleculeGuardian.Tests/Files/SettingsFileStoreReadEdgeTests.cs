using System.Net.Sockets;
using System.Text;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// What can change under a read: the path swapped for something else between the lstat and the open, the file
/// growing while it is read. And the exact words of every refusal, which an SRE reads in the Refused log line.
/// </summary>
public sealed class SettingsFileStoreReadEdgeTests : IDisposable
{
    private const long Max = 1024;
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public SettingsFileStoreReadEdgeTests()
    {
        _path = _temp.SettingsPath();
        File.WriteAllBytes(_path, Original);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Read_SymlinkSwappedInAfterLstat_RefusedAndTheTargetNeverRead()
    {
        // O_NOFOLLOW at the open is the only thing that stops this: the lstat saw a regular file.
        var target = _temp.Combine("elsewhere.json");
        File.WriteAllBytes(target, "{\"elsewhere\": 1}\n"u8.ToArray());
        var fs = SwapAtOpen(() => File.CreateSymbolicLink(_path, target));

        var read = Store(fs).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Equal("the settings path is not a regular file", read.Reason);
        Assert.Empty(read.Bytes);
        Assert.Equal(0, fs.Calls(FsOp.Read));
    }

    [Fact]
    public void Read_SocketSwappedInAfterLstat_Refused()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var fs = SwapAtOpen(() => socket.Bind(new UnixDomainSocketEndPoint(_path)));

        var read = Store(fs).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Equal("the settings path is not a regular file", read.Reason);
    }

    [Fact]
    public void Read_DeletedAfterLstat_Absent()
    {
        var fs = SwapAtOpen(() => { });

        Assert.Equal(ReadStatus.Absent, Store(fs).Read().Status);
    }

    [Fact]
    public void Read_DirectorySwappedInAfterLstat_RefusedAsADirectory()
    {
        var fs = SwapAtOpen(() => Directory.CreateDirectory(_path));

        var read = Store(fs).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Equal("the settings path is a directory", read.Reason);
        Assert.Equal(FileKind.Directory, read.Stat!.Value.Kind);
    }

    [Fact]
    public void Read_GrewPastTheLimitBetweenLstatAndOpen_RefusedWithItsSize()
    {
        var fs = SwapAtOpen(() => File.WriteAllBytes(_path, new byte[2000]));

        var read = Store(fs).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Equal("the file is 2000 bytes, over Guardian:MaxFileBytes (1024)", read.Reason);
        Assert.Equal(2000, read.Stat!.Value.Size);
    }

    [Fact]
    public void Read_OverTheLimit_RefusedWithItsSizeAndTheLimit()
    {
        File.WriteAllBytes(_path, new byte[Max + 1]);

        var read = Store().Read();

        Assert.Equal("the file is 1025 bytes, over Guardian:MaxFileBytes (1024)", read.Reason);
    }

    [Fact]
    public void Read_SettingsDirectoryIsAFile_RefusedNamingTheDirectory()
    {
        var dir = _temp.Combine("not-a-dir");
        File.WriteAllBytes(dir, Original);

        var read = Store(path: Path.Combine(dir, "settings.json")).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Equal($"{dir} is a regular file, not a directory", read.Reason);
        Assert.Equal(Original, File.ReadAllBytes(dir));
    }

    [Fact]
    public void Read_FileGrowsWhileBeingRead_ReadsToTheEndNotToTheStatSize()
    {
        var grown = AppendAtFirstRead(new string(' ', 3000));

        var read = Store(fs: grown, max: 1024 * 1024).Read();

        Assert.Equal(ReadStatus.Present, read.Status);
        Assert.Equal(Original.Length + 3000, read.Bytes.Length);
        Assert.Equal(File.ReadAllBytes(_path), read.Bytes);
    }

    [Fact]
    public void Read_FileGrowsPastTheLimitWhileBeingRead_RefusedAndNoBytes()
    {
        var grown = AppendAtFirstRead(new string(' ', (int)Max));

        var read = Store(fs: grown).Read();

        Assert.Equal(ReadStatus.Refused, read.Status);
        Assert.Equal("the file grew past Guardian:MaxFileBytes (1024 bytes) while being read", read.Reason);
        Assert.Empty(read.Bytes);
    }

    [Fact]
    public void Read_FileGrowsToExactlyTheLimitWhileBeingRead_Present()
    {
        // One byte short of the limit at the stat, the limit itself by the read: still within it.
        File.WriteAllBytes(_path, Encoding.ASCII.GetBytes(new string(' ', (int)Max - 1)));
        var grown = AppendAtFirstRead("}");

        var read = Store(fs: grown).Read();

        Assert.Equal(ReadStatus.Present, read.Status);
        Assert.Equal(Max, read.Bytes.Length);
        Assert.Equal((byte)'}', read.Bytes[^1]);
    }

    /// <summary>Removes the file just before the store opens it and lets <paramref name="swap"/> put something else there.</summary>
    private FaultyFileSystemCalls SwapAtOpen(Action swap)
    {
        var fs = new FaultyFileSystemCalls();
        fs.Before = (op, _, n) =>
        {
            if (op == FsOp.OpenReadAt && n == 1)
            {
                File.Delete(_path);
                swap();
            }
        };
        return fs;
    }

    /// <summary>A writer still appending: <paramref name="text"/> lands after the store's fstat, before its first read.</summary>
    private FaultyFileSystemCalls AppendAtFirstRead(string text)
    {
        var fs = new FaultyFileSystemCalls();
        fs.Before = (op, _, n) =>
        {
            if (op == FsOp.Read && n == 1)
            {
                File.AppendAllText(_path, text);
            }
        };
        return fs;
    }

    private SettingsFileStore Store(FaultyFileSystemCalls? fs = null, string? path = null, long max = Max) =>
        TestHealers.Store(TestHealers.Options(path ?? _path, o => o.MaxFileBytes = max), fs);
}
