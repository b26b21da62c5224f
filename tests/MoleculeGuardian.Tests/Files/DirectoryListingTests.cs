using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// <see cref="LinuxFileSystemCalls.ListNames"/> is a stream over readdir: it reads the directory as the enumeration
/// goes, holds no list of the names, and closes its stream when the enumeration ends or is left early.
/// </summary>
public sealed class DirectoryListingTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _dir;

    public DirectoryListingTests()
    {
        _dir = _temp.Combine("listed");
        Directory.CreateDirectory(_dir);
    }

    private static LinuxFileSystemCalls Fs => LinuxFileSystemCalls.Instance;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ListNames_MoreNamesThanOneReaddirBuffer_EveryNameOnceAndNoDotEntries()
    {
        // 1,000 entries of about 90 bytes need three getdents buffers of 32 KiB.
        var names = Enumerable.Range(0, 1000).Select(i => $"name-{i:D5}-{new string('x', 60)}").ToHashSet(StringComparer.Ordinal);
        foreach (var name in names)
        {
            File.WriteAllBytes(Path.Combine(_dir, name), []);
        }

        using var dir = Fs.OpenDirectory(null, _dir, _dir);

        var listed = Fs.ListNames(dir, _dir).ToList();

        Assert.Equal(names.Count, listed.Count);
        Assert.True(names.SetEquals(listed));
    }

    [Fact]
    public void ListNames_WhileEnumerating_TheStreamIsOpenAndClosedWhenTheLoopIsLeftEarly()
    {
        File.WriteAllBytes(Path.Combine(_dir, "a"), []);
        File.WriteAllBytes(Path.Combine(_dir, "b"), []);
        using var dir = Fs.OpenDirectory(null, _dir, _dir);
        var handlesBefore = HandlesOn(_dir);

        var names = Fs.ListNames(dir, _dir);
        var notStarted = HandlesOn(_dir);
        int during;
        using (var enumerator = names.GetEnumerator())
        {
            Assert.True(enumerator.MoveNext());
            during = HandlesOn(_dir);
        }

        // Not opened before the enumeration starts; open while it runs (the names are read as it goes, not listed
        // up front); closed once it is disposed with names still unread.
        Assert.Equal((handlesBefore, handlesBefore + 1, handlesBefore), (notStarted, during, HandlesOn(_dir)));
    }

    [Fact]
    public void ListNames_EnumeratedToTheEnd_StreamClosed()
    {
        File.WriteAllBytes(Path.Combine(_dir, "a"), []);
        using var dir = Fs.OpenDirectory(null, _dir, _dir);
        var handlesBefore = HandlesOn(_dir);

        Assert.Equal(["a"], Fs.ListNames(dir, _dir).ToList());

        Assert.Equal(handlesBefore, HandlesOn(_dir));
    }

    [Fact]
    public void ListNames_HandleIsNotADirectory_ThrowsPosixExceptionNamingThePath()
    {
        var file = Path.Combine(_dir, "file");
        File.WriteAllBytes(file, []);
        using var handle = TestPosix.OpenRead(file);

        var ex = Assert.Throws<PosixException>(() => Fs.ListNames(handle, "/the/path/named").ToList());

        Assert.Equal(("open", "/the/path/named", Errno.ENOTDIR), (ex.Operation, ex.Path, ex.ErrorNumber));
        Assert.Contains("/the/path/named", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListNames_DirectoryRemovedWhileHeld_NoNamesAndNoError()
    {
        var gone = _temp.Combine("gone");
        Directory.CreateDirectory(gone);
        using var dir = Fs.OpenDirectory(null, gone, gone);
        Directory.Delete(gone);

        Assert.Empty(Fs.ListNames(dir, gone));
    }

    /// <summary>How many of this process's descriptors refer to <paramref name="path"/> (the O_PATH handle and any stream).</summary>
    private static int HandlesOn(string path) =>
        Directory.EnumerateFileSystemEntries("/proc/self/fd").Count(fd =>
        {
            try
            {
                return new FileInfo(fd).LinkTarget == path;
            }
            catch (IOException)
            {
                return false; // the descriptor the enumeration itself used, closed by now
            }
        });
}
