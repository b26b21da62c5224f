using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// A quarantine must not list the directory each time (a million names made each quarantine heal cost a third of a
/// second), nor hold more than a bounded number of names: one streamed listing (the start-up sweep's, or the first
/// prune's, or again once the directory was replaced) keeps the newest copies of each kind, and the store remembers
/// the copies it makes. Deletions still check each file.
/// </summary>
public sealed class QuarantinePruneBoundTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private static readonly byte[] Broken = "{\"broken\": \n"u8.ToArray();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly MemoryTempDirectory _temp = new();
    private readonly string _path;
    private readonly string _dir;

    public QuarantinePruneBoundTests()
    {
        _dir = _temp.Combine(".claude");
        Directory.CreateDirectory(_dir);
        _path = Path.Combine(_dir, "settings.json");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Quarantine_SeveralByOneStore_TheDirectoryListedOnceAndTheNewestKept()
    {
        var old = Copies(T0.AddDays(-1), 4);
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);

        var made = Enumerable.Range(1, 4).Select(i => QuarantineAt(store, T0.AddSeconds(i), keep: 3)).ToList();

        Assert.Equal(1, fs.Calls(FsOp.ListNames));
        Assert.Equal(made[1..], Existing([.. old, .. made]));
    }

    [Fact]
    public void Quarantine_AfterTheStartupSweep_NothingListedAndTheCopiesTheSweepSawPruned()
    {
        var old = Copies(T0.AddDays(-1), 4);
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);
        Assert.Empty(store.RemoveStaleTemps());
        Assert.Equal(1, fs.Calls(FsOp.ListNames));

        var copy = QuarantineAt(store, T0.AddSeconds(1), keep: 2);

        Assert.Equal(1, fs.Calls(FsOp.ListNames));
        Assert.Equal([old[^1], copy], Existing([.. old, copy]));
    }

    [Fact]
    public void Quarantine_AfterASweepThatFailedMidway_ListsTheDirectoryItself()
    {
        var old = Copies(T0.AddDays(-1), 4);
        var fs = new FaultyFileSystemCalls().FailListingAfter(2, Errno.EIO, nth: 1);
        var store = Store(fs);
        Assert.Throws<PosixException>(() => store.RemoveStaleTemps().ToList());

        var copy = QuarantineAt(store, T0.AddSeconds(1), keep: 2);

        Assert.Equal(2, fs.Calls(FsOp.ListNames));
        Assert.Equal([old[^1], copy], Existing([.. old, copy]));
    }

    [Fact]
    public void Quarantine_ListingFailsMidway_NothingPrunedAndTheNextQuarantineListsAgain()
    {
        var old = Copies(T0.AddDays(-1), 4);
        var fs = new FaultyFileSystemCalls().FailListingAfter(2, Errno.EIO, nth: 1);
        var store = Store(fs);

        var first = QuarantineAt(store, T0.AddSeconds(1), keep: 2);
        Assert.Equal([.. old, first], Existing([.. old, first]));

        var second = QuarantineAt(store, T0.AddSeconds(2), keep: 2);

        Assert.Equal(2, fs.Calls(FsOp.ListNames));
        Assert.Equal([first, second], Existing([.. old, first, second]));
    }

    [Fact]
    public void RemoveStaleTemps_ACopyNameThatCannotBeStated_SweepGoesOnAndThatNameIsLeftAlone()
    {
        var old = Copies(T0.AddDays(-1), 3);
        var stale = Path.Combine(_dir, ".settings.json.guardian-2147483000-0badf00d.tmp");
        File.WriteAllBytes(stale, Broken);
        var fs = new FaultyFileSystemCalls();
        fs.Before = (op, path, _) =>
        {
            if (op == FsOp.StatAt && path == old[^1])
            {
                throw new PosixException("fstatat", path, Errno.EIO);
            }
        };
        var store = Store(fs);

        Assert.Equal([stale], store.RemoveStaleTemps());
        fs.Before = null;
        var copy = QuarantineAt(store, T0.AddSeconds(1), keep: 2);

        // The sweep knew old[0] and old[1] only: old[1] and the new copy are kept, and old[2], never weighed, stays.
        Assert.Equal(1, fs.Calls(FsOp.ListNames));
        Assert.Equal([old[1], old[2], copy], Existing([.. old, copy]));
    }

    [Fact]
    public void Quarantine_DirectoryReplacedSinceTheListing_TheNewDirectoryListed()
    {
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);
        QuarantineAt(store, T0.AddSeconds(1), keep: 2);
        Directory.Move(_dir, _dir + ".old");
        Directory.CreateDirectory(_dir);
        var restored = Copies(T0.AddDays(-1), 3);

        var copy = QuarantineAt(store, T0.AddSeconds(2), keep: 2);

        Assert.Equal(2, fs.Calls(FsOp.ListNames));
        Assert.Equal([restored[^1], copy], Existing([.. restored, copy]));
    }

    [Fact]
    public void Quarantine_CopyPlantedAfterTheListing_LeftAlone()
    {
        // Only a listing makes names known; a name that shows up later is weighed by the next process's listing.
        var store = Store();
        var first = QuarantineAt(store, T0.AddSeconds(1), keep: 1);
        var planted = Copies(T0.AddDays(-1), 1);

        var second = QuarantineAt(store, T0.AddSeconds(2), keep: 1);

        Assert.Equal([.. planted, second], Existing([first, .. planted, second]));
    }

    [Fact]
    public void Quarantine_KnownCopyHardLinkedSinceTheListing_NotDeleted()
    {
        // Names are data: a copy the listing saw as a plain file is stat'ed again through the handle before it goes.
        var old = Copies(T0.AddDays(-1), 1);
        var store = Store();
        var first = QuarantineAt(store, T0.AddSeconds(1), keep: 2);
        var other = _temp.Combine("other-name");
        TestPosix.HardLink(old[0], other);

        var second = QuarantineAt(store, T0.AddSeconds(2), keep: 2);

        Assert.Equal([old[0], first, second], Existing([old[0], first, second]));
        Assert.Equal(2u, TestPosix.Stat(other).Links);
    }

    [Fact]
    public void Quarantine_TwiceTheLimitOfCopies_TheNewestLimitWeighedWithoutAStatEachAndTheOlderLeftAlone()
    {
        // What the store holds is bounded by KeepLimit per kind: copies past the newest KeepLimit (more than the
        // guardian ever keeps) are not its doing and stay; of the newest, those past `keep` are pruned. A name older
        // than the newest KeepLimit seen so far is passed over without a stat (the listing comes in hash order, not by
        // date), so a planted flood of copy names costs time, not a stat each.
        var old = Copies(T0.AddDays(-1), 2 * SettingsFileStore.KeepLimit);
        var fs = new FaultyFileSystemCalls();
        var store = Store(fs);

        var copy = QuarantineAt(store, T0.AddSeconds(1), keep: 3);

        Assert.Equal([.. old[..SettingsFileStore.KeepLimit], .. old[^2..], copy], Existing([.. old, copy]));
        var deletions = SettingsFileStore.KeepLimit - 2;
        var weighed = fs.Calls(FsOp.StatAt) - deletions - 1; // and the read's own stat of the settings file
        Assert.InRange(weighed, SettingsFileStore.KeepLimit, old.Length - 1);
    }

    [Fact]
    public void KeepLimit_TheMostKeepQuarantinedTheValidatorAllows()
    {
        var validator = new GuardianOptionsValidator(new RecordingIdentity());

        Assert.True(validator.Validate(null, TestHealers.Options(_path, o => o.KeepQuarantined = SettingsFileStore.KeepLimit)).Succeeded);
        Assert.True(validator.Validate(null, TestHealers.Options(_path, o => o.KeepQuarantined = SettingsFileStore.KeepLimit + 1)).Failed);
    }

    /// <summary>Copies of the corrupt kind made by hand (as an earlier process would have), one a second from <paramref name="from"/>, oldest first.</summary>
    private string[] Copies(DateTimeOffset from, int count) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var path = Path.Combine(_dir, "settings.json.corrupt-"
                + from.AddSeconds(i).UtcDateTime.ToString("yyyyMMdd'T'HHmmss.fff'Z'", CultureInfo.InvariantCulture));
            File.WriteAllBytes(path, Broken);
            return path;
        }).ToArray();

    private string QuarantineAt(SettingsFileStore store, DateTimeOffset now, int keep)
    {
        File.WriteAllBytes(_path, Broken);
        _time.SetUtcNow(now);
        using var read = store.Read();
        return store.Quarantine(read, QuarantineKind.Corrupt, keep);
    }

    private static string[] Existing(string[] copies) => copies.Where(File.Exists).ToArray();

    private SettingsFileStore Store(IFileSystemCalls? fs = null) => TestHealers.Store(TestHealers.Options(_path), fs, _time);
}
