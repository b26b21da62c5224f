using MoleculeGuardian.Files;

namespace MoleculeGuardian.Tests.Files;

/// <summary><see cref="QuarantineName.TryParse"/> accepts exactly the names the store makes, nothing that merely looks like one.</summary>
public sealed class QuarantineNameTests
{
    private const string Stamp = "20261204T193012.123Z";
    private static readonly DateTime Expected = new(2026, 12, 4, 19, 30, 12, 123, DateTimeKind.Utc);

    [Theory]
    [InlineData("", 0)]
    [InlineData("-1", 1)]
    [InlineData("-2", 2)]
    [InlineData("-10", 10)]
    [InlineData("-999", 999)]
    public void TryParse_ExactFormat_StampAndSequence(string suffix, int sequence)
    {
        var parsed = QuarantineName.TryParse($"settings.json.corrupt-{Stamp}{suffix}", "settings.json", QuarantineKind.Corrupt);

        Assert.NotNull(parsed);
        Assert.Equal(Expected, parsed.Value.Stamp);
        Assert.Equal(DateTimeKind.Utc, parsed.Value.Stamp.Kind);
        Assert.Equal(sequence, parsed.Value.Sequence);
        Assert.Equal(QuarantineKind.Corrupt, parsed.Value.Kind);
        Assert.Equal($"settings.json.corrupt-{Stamp}{suffix}", parsed.Value.Name);
    }

    [Fact]
    public void TryParse_ReplacedKind_Parsed()
    {
        var parsed = QuarantineName.TryParse($"settings.json.replaced-{Stamp}-3", "settings.json", QuarantineKind.Replaced);

        Assert.Equal(new QuarantineName("settings.json", QuarantineKind.Replaced, Expected, 3), parsed);
    }

    [Fact]
    public void TryParse_NameTheStoreMakes_RoundTrips()
    {
        var made = QuarantineName.For("settings.json", QuarantineKind.Corrupt, new DateTimeOffset(Expected)) with { Sequence = 7 };

        var parsed = QuarantineName.TryParse(made.Name, "settings.json", QuarantineKind.Corrupt);

        Assert.Equal(made, parsed);
        Assert.Equal(made.Order, parsed!.Value.Order);
    }

    [Theory]
    [InlineData("settings.json.corrupt-9")]
    [InlineData("settings.json.corrupt-")]
    [InlineData("settings.json.corrupt")]
    [InlineData("settings.json.corrupt-" + Stamp + "-0")]
    [InlineData("settings.json.corrupt-" + Stamp + "-01")]
    [InlineData("settings.json.corrupt-" + Stamp + "-1000")]
    [InlineData("settings.json.corrupt-" + Stamp + "-")]
    [InlineData("settings.json.corrupt-" + Stamp + "--1")]
    [InlineData("settings.json.corrupt-" + Stamp + "-+1")]
    [InlineData("settings.json.corrupt-" + Stamp + "- 1")]
    [InlineData("settings.json.corrupt-" + Stamp + "-1x")]
    [InlineData("settings.json.corrupt-" + Stamp + "x")]
    [InlineData("settings.json.corrupt-" + Stamp + ".bak")]
    [InlineData("settings.json.corrupt-" + Stamp + " ")]
    [InlineData("settings.json.corrupt-20261204T193012.12Z")]
    [InlineData("settings.json.corrupt-20261204T193012.1234Z")]
    [InlineData("settings.json.corrupt-20261204T193012123Z")]
    [InlineData("settings.json.corrupt-20261204T193012.123")]
    [InlineData("settings.json.corrupt-20261304T193012.123Z")]
    [InlineData("settings.json.corrupt-20261232T193012.123Z")]
    [InlineData("settings.json.corrupt-20261204T243012.123Z")]
    [InlineData("settings.json.corrupt-2026-12-04T19:30:12.123Z")]
    [InlineData("settings.json.replaced-" + Stamp)]
    [InlineData("other.json.corrupt-" + Stamp)]
    [InlineData("xsettings.json.corrupt-" + Stamp)]
    [InlineData(".settings.json.corrupt-" + Stamp)]
    [InlineData("settings.json.corrupt-" + Stamp + "/x")]
    public void TryParse_PrefixAlikeOrMalformed_Null(string name) =>
        Assert.Null(QuarantineName.TryParse(name, "settings.json", QuarantineKind.Corrupt));

    [Fact]
    public void TryParse_CorruptNameAskedAsReplaced_Null() =>
        Assert.Null(QuarantineName.TryParse($"settings.json.corrupt-{Stamp}", "settings.json", QuarantineKind.Replaced));

    [Fact]
    public void Order_LaterStampOrHigherSequence_SortsLater()
    {
        var first = new QuarantineName("settings.json", QuarantineKind.Corrupt, Expected);
        var second = first with { Sequence = 1 };
        var later = first with { Stamp = Expected.AddMilliseconds(1) };

        Assert.True(first.Order.CompareTo(second.Order) < 0);
        Assert.True(second.Order.CompareTo(later.Order) < 0);
    }
}
