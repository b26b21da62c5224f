using System.Text;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using static MoleculeGuardian.Tests.Files.StoreContents;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// A conflict says what the store saw, one cause for each way another writer can get between the heal's read and its
/// rename, so that the heal loop can log it without guessing who that writer was.
/// </summary>
public sealed class ConflictCauseTests : IDisposable
{
    private static readonly byte[] Theirs = Encoding.UTF8.GetBytes("{\n  \"theirs\": true\n}\n");
    private readonly TempDirectory _temp = new();
    private readonly string _path;

    public ConflictCauseTests()
    {
        _path = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Replace_FileCreatedAfterAnAbsentRead_Appeared()
    {
        var store = Store();
        using var read = store.Read();
        File.WriteAllBytes(_path, Theirs);

        AssertConflict(ConflictCause.Appeared, store.Replace(read, Healed));
    }

    [Fact]
    public void Replace_FileCreatedAfterAnAbsentReadWithoutRenameNoReplace_Appeared()
    {
        var store = Store(new FaultyFileSystemCalls().FailRename(RenameMode.NoReplace, Errno.EINVAL));
        using var read = store.Read();
        File.WriteAllBytes(_path, Theirs);

        AssertConflict(ConflictCause.Appeared, store.Replace(read, Healed));
    }

    [Fact]
    public void Replace_FileDeletedAfterTheRead_Removed()
    {
        File.WriteAllBytes(_path, Original);
        var store = Store();
        using var read = store.Read();
        File.Delete(_path);

        AssertConflict(ConflictCause.Removed, store.Replace(read, Healed));
        Assert.False(File.Exists(_path));
    }

    [Fact]
    public void Replace_FileDeletedJustBeforeTheExchange_Removed()
    {
        File.WriteAllBytes(_path, Original);
        var fs = new FaultyFileSystemCalls();
        fs.Before = (op, _, n) =>
        {
            if (op == FsOp.RenameAt && n == 1)
            {
                File.Delete(_path);
            }
        };
        var store = Store(fs);
        using var read = store.Read();

        AssertConflict(ConflictCause.Removed, store.Replace(read, Healed));
        Assert.False(File.Exists(_path));
    }

    [Fact]
    public void Replace_FileRewrittenInPlaceAfterTheRead_Written()
    {
        File.WriteAllBytes(_path, Original);
        var store = Store();
        using var read = store.Read();
        File.WriteAllBytes(_path, Theirs);

        AssertConflict(ConflictCause.Written, store.Replace(read, Healed));
    }

    [Fact]
    public void Replace_ModeChangedAfterTheRead_Written()
    {
        // chmod changes the ctime only: the fingerprint tells the file was touched, not how.
        File.WriteAllBytes(_path, Original);
        var store = Store();
        using var read = store.Read();
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        AssertConflict(ConflictCause.Written, store.Replace(read, Healed), Original);
    }

    [Fact]
    public void Replace_RenameReplaceAfterTheRead_Replaced()
    {
        File.WriteAllBytes(_path, Original);
        var store = Store();
        using var read = store.Read();
        File.WriteAllBytes(_path + ".tmp", Theirs);
        File.Move(_path + ".tmp", _path, overwrite: true);

        AssertConflict(ConflictCause.Replaced, store.Replace(read, Healed));
    }

    [Fact]
    public void Replace_AnotherProcessHoldsTheFileOpenForWriting_WriterHolds()
    {
        File.WriteAllBytes(_path, Original);
        var store = Store();
        using var read = store.Read();
        using var writer = File.OpenHandle(_path, FileMode.Open, FileAccess.Write);

        AssertConflict(ConflictCause.WriterHolds, store.Replace(read, Healed), atThePath: Original);
    }

    [Fact]
    public void Replace_RenameReplaceAfterTheLastLookBeforeTheExchange_ContentChanged()
    {
        File.WriteAllBytes(_path, Original);
        var fs = new FaultyFileSystemCalls();
        fs.Before = (op, _, n) =>
        {
            if (op == FsOp.RenameAt && n == 1)
            {
                File.WriteAllBytes(_path + ".tmp", Theirs);
                File.Move(_path + ".tmp", _path, overwrite: true);
            }
        };
        var store = Store(fs);
        using var read = store.Read();

        AssertConflict(ConflictCause.ContentChanged, store.Replace(read, Healed));
    }

    [Fact]
    public void Replace_AnotherRenameRightAfterTheExchange_Overtaken()
    {
        File.WriteAllBytes(_path, Original);
        var fs = new FaultyFileSystemCalls();
        fs.After = (op, _, n) =>
        {
            if (op == FsOp.RenameAt && n == 1)
            {
                File.WriteAllBytes(_path + ".tmp", Theirs);
                File.Move(_path + ".tmp", _path, overwrite: true);
            }
        };
        var store = Store(fs);
        using var read = store.Read();

        AssertConflict(ConflictCause.Overtaken, store.Replace(read, Healed));
    }

    [Fact]
    public void Replace_AnotherRenameRightAfterTheCreatingRename_Overtaken()
    {
        var fs = new FaultyFileSystemCalls();
        fs.After = (op, _, n) =>
        {
            if (op == FsOp.RenameAt && n == 1)
            {
                File.WriteAllBytes(_path + ".tmp", Theirs);
                File.Move(_path + ".tmp", _path, overwrite: true);
            }
        };
        var store = Store(fs);
        using var read = store.Read();
        Assert.Equal(ReadStatus.Absent, read.Status);

        AssertConflict(ConflictCause.Overtaken, store.Replace(read, Healed));
    }

    [Fact]
    public void Replace_Replaced_NoCauseAndNoReason()
    {
        File.WriteAllBytes(_path, Original);
        var store = Store();
        using var read = store.Read();

        var result = store.Replace(read, Healed);

        Assert.Equal((ReplaceOutcome.Replaced, ConflictCause.None, ""), (result.Outcome, result.Cause, result.Reason));
    }

    [Fact]
    public void Describe_EveryCause_PlainWordsOfItsOwn()
    {
        var causes = Enum.GetValues<ConflictCause>();

        var described = causes.Select(c => c.Describe()).ToList();

        Assert.Equal(causes.Length, described.Distinct(StringComparer.Ordinal).Count());
        Assert.DoesNotContain("an unknown conflict", described);
        Assert.All(described, d => Assert.Matches("^[a-z][a-z ,:()'-]+[a-z)]$", d));
        Assert.Equal("an unknown conflict", ((ConflictCause)99).Describe());
    }

    [Fact]
    public void Conflict_AnyCause_ReasonIsItsDescription()
    {
        Assert.All(Enum.GetValues<ConflictCause>(), cause =>
            Assert.Equal(new ReplaceResult(ReplaceOutcome.Conflict, null, cause.Describe(), cause), ReplaceResult.Conflict(cause)));
    }

    /// <summary>A conflict of that cause, its reason the cause's words, the other writer's bytes at the path, no temp left.</summary>
    private void AssertConflict(ConflictCause cause, ReplaceResult result, byte[]? atThePath = null)
    {
        Assert.Equal(ReplaceResult.Conflict(cause), result);
        if (File.Exists(_path))
        {
            Assert.Equal(atThePath ?? Theirs, File.ReadAllBytes(_path));
        }

        Assert.Empty(TestPosix.GuardianTemps(_path));
    }

    private SettingsFileStore Store(IFileSystemCalls? fs = null) => TestHealers.Store(TestHealers.Options(_path), fs);
}
