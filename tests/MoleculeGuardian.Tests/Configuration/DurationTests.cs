using MoleculeGuardian.Configuration;

namespace MoleculeGuardian.Tests.Configuration;

public sealed class DurationTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("0ms", 0)]
    [InlineData("1ms", 1)]
    [InlineData("2s", 2_000)]
    [InlineData("0.25s", 250)]
    [InlineData("1.5m", 90_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("2H", 7_200_000)]
    [InlineData("10MS", 10)]
    [InlineData(" 3 s ", 3_000)]
    public void TryParse_NumberWithUnit_ReadsIt(string text, long expectedMs)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), value);
    }

    [Theory]
    [InlineData("00:00:00.250", 250)]
    [InlineData("00:01:00", 60_000)]
    [InlineData("1.00:00:00", 86_400_000)]
    [InlineData("-00:00:01", -1_000)]
    public void TryParse_SpanWithColons_ReadsItInTheConstantFormat(string text, long expectedMs)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), value);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("250")]
    [InlineData("0.5")]
    [InlineData("")]
    [InlineData("ms")]
    [InlineData("1 second")]
    [InlineData("1d")]
    [InlineData("-1s")]
    [InlineData("1e3ms")]
    [InlineData("1,5s")]
    [InlineData("1.s")]
    [InlineData("soon")]
    [InlineData("1:2:3:4")]
    [InlineData("00:00:60")]
    [InlineData("99999999999999999999h")]
    public void TryParse_NoUnitOrMalformed_IsRefused(string text)
    {
        Assert.False(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.Zero, value);
    }

    [Fact]
    public void TryParse_Null_IsRefused()
    {
        Assert.False(Duration.TryParse(null, out _));
    }

    [Fact]
    public void TryParse_SubTickFraction_RoundsToTheNearestTick()
    {
        Assert.True(Duration.TryParse("0.00006ms", out var value));
        Assert.Equal(TimeSpan.FromTicks(1), value);
    }

    [Fact]
    public void TryParse_JustBeyondTheLargestSpan_IsRefused()
    {
        var largestHours = (long)TimeSpan.MaxValue.TotalHours;

        Assert.True(Duration.TryParse($"{largestHours}h", out _));
        Assert.False(Duration.TryParse($"{largestHours + 1}h", out _));
    }
}
