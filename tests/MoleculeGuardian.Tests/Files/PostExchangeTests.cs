using System.Text;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// Another writer renames its own file over the settings name right after the guardian's rename: the replace must
/// report a conflict (the name no longer holds what the guardian wrote), and the other writer's file stays.
/// </summary>
public sealed class PostExchangeTests : IDisposable
{
    private static readonly byte[] Theirs = Encoding.UTF8.GetBytes("{\n  \"theirs\": true\n}\n");
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public PostExchangeTests()
    {
        _path = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Replace_WriterRenamesOverTheNameRightAfterTheExchange_ConflictAndTheirsStays()
    {
        File.WriteAllBytes(_path, Original);
        var fs = WriterAfterRename(RenameMode.Exchange);
        var store = Store(fs);
        using var read = store.Read();

        var result = store.Replace(read, Healed);

        Assert.Equal(ReplaceOutcome.Conflict, result.Outcome);
        Assert.Null(result.RenamedAt);
        Assert.Equal(Theirs, File.ReadAllBytes(_path));
        Assert.Equal(RenameMode.Exchange, Assert.Single(fs.Renames).Mode);
        Assert.Empty(TestPosix.GuardianTemps(_path));
        Assert.Equal(["settings.json"], Directory.GetFileSystemEntries(Path.GetDirectoryName(_path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Replace_NoWriterAfterTheExchange_Replaced()
    {
        // The control for the test above: the same hook point with nobody acting there.
        File.WriteAllBytes(_path, Original);
        var store = Store(new FaultyFileSystemCalls());
        using var read = store.Read();

        var result = store.Replace(read, Healed);

        Assert.Equal(ReplaceOutcome.Replaced, result.Outcome);
        Assert.NotNull(result.RenamedAt);
        Assert.Equal(Healed, File.ReadAllBytes(_path));
    }

    [Fact]
    public void Replace_FileAbsentAndWriterRenamesOverTheNewFileRightAfterTheNoReplaceRename_ConflictAndTheirsStays()
    {
        var fs = WriterAfterRename(RenameMode.NoReplace);
        var store = Store(fs);
        using var read = store.Read();
        Assert.Equal(ReadStatus.Absent, read.Status);

        var result = store.Replace(read, Healed);

        Assert.Equal(ReplaceOutcome.Conflict, result.Outcome);
        Assert.Equal(Theirs, File.ReadAllBytes(_path));
        Assert.Equal(RenameMode.NoReplace, Assert.Single(fs.Renames).Mode);
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    [Fact]
    public void Replace_NoExchangeSupportAndWriterRenamesOverTheNameRightAfterThePlainRename_ConflictAndTheirsStays()
    {
        File.WriteAllBytes(_path, Original);
        var fs = WriterAfterRename(RenameMode.Replace).FailRename(RenameMode.Exchange, Errno.EINVAL);
        var store = Store(fs);
        using var read = store.Read();

        var result = store.Replace(read, Healed);

        Assert.Equal(ReplaceOutcome.Conflict, result.Outcome);
        Assert.Equal(Theirs, File.ReadAllBytes(_path));
        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    /// <summary>
    /// After the guardian's first successful rename in <paramref name="mode"/>, another writer does what editors do:
    /// writes a temp file of its own beside the settings file and renames it over the settings name.
    /// </summary>
    private FaultyFileSystemCalls WriterAfterRename(RenameMode mode)
    {
        var fs = new FaultyFileSystemCalls();
        var done = false;
        fs.After = (op, _, _) =>
        {
            if (op == FsOp.RenameAt && !done && fs.Renames.LastOrDefault().Mode == mode)
            {
                done = true;
                var theirs = _path + ".writer.tmp";
                File.WriteAllBytes(theirs, Theirs);
                File.Move(theirs, _path, overwrite: true);
            }
        };
        return fs;
    }

    private SettingsFileStore Store(IFileSystemCalls fs) => TestHealers.Store(TestHealers.Options(_path), fs);
}
