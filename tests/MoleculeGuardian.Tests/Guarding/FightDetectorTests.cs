using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Guarding;

namespace MoleculeGuardian.Tests.Guarding;

public sealed class FightDetectorTests
{
    private readonly FakeTimeProvider _time = new();

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private List<int?> Record(FightDetector detector, int count, TimeSpan every)
    {
        var results = new List<int?>();
        for (var i = 0; i < count; i++)
        {
            results.Add(detector.RecordHeal());
            _time.Advance(every);
        }

        return results;
    }

    [Fact]
    public void RecordHeal_AtTheThreshold_DoesNotWarn()
    {
        var detector = new FightDetector(10, _time);

        Assert.All(Record(detector, 10, S(1)), r => Assert.Null(r));
    }

    [Fact]
    public void RecordHeal_CrossingTheThreshold_WarnsOnceWithTheCount()
    {
        var detector = new FightDetector(10, _time);

        var results = Record(detector, 11, S(1));

        Assert.All(results.Take(10), r => Assert.Null(r));
        Assert.Equal(11, results[10]);
    }

    [Fact]
    public void RecordHeal_KeepsFighting_WarnsAtMostOncePerMinute()
    {
        var detector = new FightDetector(3, _time);

        // One heal every 2 s for 5 minutes: always above the threshold.
        var results = Record(detector, 150, S(2));

        var warnings = results.Select((r, i) => (r, i)).Where(x => x.r is not null).ToList();
        Assert.Equal(5, warnings.Count);
        Assert.Equal(3, warnings[0].i); // the 4th heal crosses the threshold
        for (var w = 1; w < warnings.Count; w++)
        {
            Assert.Equal(30, warnings[w].i - warnings[w - 1].i); // exactly a minute apart
            Assert.Equal(30, warnings[w].r); // 30 heals in the sliding minute
        }
    }

    [Fact]
    public void RecordHeal_BurstThenQuietThenBurst_WarnsForEachBurstAMinuteApart()
    {
        var detector = new FightDetector(2, _time);

        Assert.Equal([null, null, 3, null], Record(detector, 4, S(0.1)));
        _time.Advance(S(61));
        Assert.Equal([null, null, 3], Record(detector, 3, S(0.1)));
    }

    [Fact]
    public void RecordHeal_OldHeals_AgeOutOfTheWindow()
    {
        var detector = new FightDetector(10, _time);

        // 10 heals, then one more just after they are a minute old: never more than 10 in the window.
        Assert.All(Record(detector, 10, S(0)), r => Assert.Null(r));
        _time.Advance(S(60));
        Assert.Null(detector.RecordHeal());
    }

    [Fact]
    public void RecordHeal_HealsSpreadBelowTheRate_NeverWarn()
    {
        var detector = new FightDetector(10, _time);

        // 10 a minute for an hour (one every 6 s): at the threshold, never above it.
        Assert.All(Record(detector, 600, S(6)), r => Assert.Null(r));
    }

    [Fact]
    public void RecordHeal_HealJustInsideTheWindow_StillCounts()
    {
        var detector = new FightDetector(1, _time);

        Assert.Null(detector.RecordHeal());
        _time.Advance(S(59.999));
        Assert.Equal(2, detector.RecordHeal());
    }

    [Fact]
    public void RecordHeals_ABatchCrossingTheThreshold_WarnsWithTheWholeCount()
    {
        // One heal that lost five races found the entry out five times.
        var detector = new FightDetector(10, _time);

        Assert.Null(detector.RecordHeals(5));
        Assert.Null(detector.RecordHeals(5));
        Assert.Equal(15, detector.RecordHeals(5));
    }

    [Fact]
    public void RecordHeals_ABatchOlderThanAMinute_NoLongerCounts()
    {
        var detector = new FightDetector(10, _time);
        Assert.Null(detector.RecordHeals(10));

        _time.Advance(S(60));

        Assert.Null(detector.RecordHeals(10));
    }
}
