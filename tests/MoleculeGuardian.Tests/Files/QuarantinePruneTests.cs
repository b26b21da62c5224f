using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// Pruning after a quarantine removes only the guardian's own older copies: exact names, plain files with one link,
/// dated before the copy just made. Whatever else shares the directory (planted by whoever owns it) stays. The
/// quarantine that prunes is a fresh store's (a new process's), so it lists the directory and weighs every planted
/// name; <see cref="QuarantinePruneBoundTests"/> covers what one store remembers between quarantines.
/// </summary>
public sealed class QuarantinePruneTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private static readonly byte[] Broken = "{\"broken\": \n"u8.ToArray();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly TempDirectory _temp = new();
    private readonly string _path;
    private readonly string _dir;

    public QuarantinePruneTests()
    {
        _path = _temp.SettingsPath();
        _dir = Path.GetDirectoryName(_path)!;
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Quarantine_PlantedLookAlikesBesideRealCopies_OnlyTheOldestRealCopiesPruned()
    {
        var store = Store();
        var real = MakeRealCopies(store, 6);
        var planted = Plant(T0.AddDays(-1));

        var copy = QuarantineNow(Store(), T0.AddSeconds(10), keep: 5);

        Assert.Equal(Broken, File.ReadAllBytes(copy));
        Assert.Equal(Path.Combine(_dir, "settings.json.corrupt-20260102T030415.678Z"), copy);
        Assert.Equal(real[2..], Remaining(real));
        AssertPlantedUntouched(planted);
    }

    [Fact]
    public void Quarantine_PlantedNonCopiesDatedJustBeforeTheNewCopy_TakeNoPlaceAmongTheKept()
    {
        // Were a directory, a link or a hard-linked file counted as copies, they would push real copies out.
        var store = Store();
        var real = MakeRealCopies(store, 6);
        var planted = Plant(T0.AddSeconds(9));

        var copy = QuarantineNow(Store(), T0.AddSeconds(10), keep: 5);

        Assert.Equal(Broken, File.ReadAllBytes(copy));
        Assert.Equal(real[2..], Remaining(real));
        AssertPlantedUntouched(planted);
    }

    [Fact]
    public void Quarantine_KeepOne_AllOlderRealCopiesPrunedAndOnlyTheNewOneKept()
    {
        var store = Store();
        var real = MakeRealCopies(store, 3);
        var planted = Plant(T0.AddDays(-1));

        var copy = QuarantineNow(Store(), T0.AddSeconds(10), keep: 1);

        Assert.Equal(Broken, File.ReadAllBytes(copy));
        Assert.Empty(Remaining(real));
        AssertPlantedUntouched(planted);
    }

    [Fact]
    public void Quarantine_OtherKindsCopies_NeitherPrunedNorCounted()
    {
        var store = Store();
        var replaced = Enumerable.Range(0, 3).Select(i =>
        {
            _time.SetUtcNow(T0.AddSeconds(i));
            return store.Quarantine(Broken, "replaced", null, keep: 1000);
        }).ToArray();
        var real = MakeRealCopies(store, 3, from: 5);

        QuarantineNow(Store(), T0.AddSeconds(10), keep: 2);

        Assert.Equal(replaced, Remaining(replaced));
        Assert.Equal(real[2..], Remaining(real));
    }

    [Fact]
    public void Quarantine_ClockWithinAMillisecondAndAPlantedLaterSequenceOfThatMillisecond_PlantedFileKept()
    {
        // "settings.json.corrupt-<ms>-5" is not dated before the copy "settings.json.corrupt-<ms>" made in that same
        // millisecond: by name it sorts after it, so it is nobody's older copy and must not be pruned.
        var store = Store();
        var planted = Path.Combine(_dir, "settings.json.corrupt-20260102T030415.678Z-5");
        File.WriteAllText(planted, "planted");

        var copy = QuarantineNow(store, T0.AddSeconds(10).AddTicks(5_000), keep: 1);

        Assert.Equal(Path.Combine(_dir, "settings.json.corrupt-20260102T030415.678Z"), copy);
        Assert.True(File.Exists(planted));
    }

    /// <summary>Copies of the corrupt kind, one a second from T0 (+<paramref name="from"/> seconds), none pruned yet.</summary>
    private string[] MakeRealCopies(SettingsFileStore store, int count, int from = 0)
    {
        var copies = Enumerable.Range(from, count).Select(i =>
        {
            _time.SetUtcNow(T0.AddSeconds(i));
            return store.Quarantine(Broken, "corrupt", null, keep: 1000);
        }).ToArray();
        Assert.Equal(count, copies.Distinct().Count(File.Exists));
        return copies;
    }

    private string QuarantineNow(SettingsFileStore store, DateTimeOffset now, int keep)
    {
        File.WriteAllBytes(_path, Broken);
        _time.SetUtcNow(now);
        using var read = store.Read();
        Assert.Equal(ReadStatus.Present, read.Status);
        return store.Quarantine(read, QuarantineKind.Corrupt, keep);
    }

    private static string[] Remaining(string[] copies) => copies.Where(File.Exists).ToArray();

    /// <summary>Things that are not the guardian's copies, the ones with valid names dated <paramref name="dated"/> (ms apart).</summary>
    private Planted Plant(DateTimeOffset dated)
    {
        string Named(int ms) => Path.Combine(_dir, "settings.json.corrupt-"
            + dated.AddMilliseconds(ms).UtcDateTime.ToString("yyyyMMdd'T'HHmmss.fff'Z'", CultureInfo.InvariantCulture));

        var future = Path.Combine(_dir, "settings.json.corrupt-99991231T235959.999Z");
        var prefixAlike = Path.Combine(_dir, "settings.json.corrupt-9");
        File.WriteAllText(future, "future");
        File.WriteAllText(prefixAlike, "prefix-alike");

        var directory = Directory.CreateDirectory(Named(0)).FullName;
        var target = _temp.Combine("link-target");
        File.WriteAllText(target, "target");
        var symlink = Named(1);
        File.CreateSymbolicLink(symlink, target);
        var other = _temp.Combine("other-name");
        File.WriteAllText(other, "hard-linked");
        var hardLink = Named(2);
        TestPosix.HardLink(other, hardLink);

        // Each planted name parses as a copy (or, for the first two, is meant to look like one).
        Assert.All(new[] { directory, symlink, hardLink }, p =>
            Assert.NotNull(QuarantineName.TryParse(Path.GetFileName(p), "settings.json", QuarantineKind.Corrupt)));
        Assert.NotNull(QuarantineName.TryParse(Path.GetFileName(future), "settings.json", QuarantineKind.Corrupt));
        return new Planted(future, prefixAlike, directory, symlink, target, hardLink, other);
    }

    private static void AssertPlantedUntouched(Planted p)
    {
        Assert.Equal("future", File.ReadAllText(p.Future));
        Assert.Equal("prefix-alike", File.ReadAllText(p.PrefixAlike));
        Assert.True(Directory.Exists(p.Directory));
        Assert.Equal(FileKind.Symlink, TestPosix.Stat(p.Symlink).Kind);
        Assert.Equal("target", File.ReadAllText(p.LinkTarget));
        Assert.Equal("hard-linked", File.ReadAllText(p.HardLink));
        Assert.Equal(2u, TestPosix.Stat(p.HardLinkOther).Links);
    }

    private SettingsFileStore Store() => TestHealers.Store(TestHealers.Options(_path), time: _time);

    private sealed record Planted(string Future, string PrefixAlike, string Directory, string Symlink, string LinkTarget, string HardLink, string HardLinkOther);
}
