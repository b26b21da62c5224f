using System.Text;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Files;
using MoleculeGuardian.Hosting;

namespace MoleculeGuardian.Tests.Hosting;

/// <summary>
/// <see cref="SettleJudge"/>'s verdicts themselves: a repair is never a first sighting, whichever rule let it through
/// (settled, or bad for ten delays while changing), and a wait says how much of the delay is left.
/// </summary>
public sealed class SettleJudgeVerdictTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);
    private readonly FakeTimeProvider _clock = new();
    private readonly SettleJudge _judge;

    public SettleJudgeVerdictTests()
    {
        _judge = new SettleJudge(Settle, _clock);
    }

    [Fact]
    public void Judge_Null_ThrowsNamingTheRead()
    {
        Assert.Throws<ArgumentNullException>("read", () => _judge.Judge(null!));
    }

    [Fact]
    public void Judge_SameBadReadUntilTheDelayHasPassed_FirstSeenThenWaitsWhatIsLeftThenRepairsNotAsFirstSeen()
    {
        Assert.Equal(new SettleJudge.Verdict(false, Settle, true), _judge.Judge(Torn("{")));
        _clock.Advance(Settle / 5);
        Assert.Equal(new SettleJudge.Verdict(false, Settle * 4 / 5, false), _judge.Judge(Torn("{")));
        _clock.Advance(Settle * 4 / 5);

        Assert.Equal(new SettleJudge.Verdict(true, TimeSpan.Zero, false), _judge.Judge(Torn("{")));
    }

    [Fact]
    public void Judge_BadReadChangingEveryDelayForTenDelays_RepairsNotAsFirstSeen()
    {
        for (var round = 0; round < SettleJudge.MaxSettleRounds; round++)
        {
            Assert.Equal(new SettleJudge.Verdict(false, Settle, true), _judge.Judge(Torn("{" + new string(' ', round))));
            _clock.Advance(Settle);
        }

        Assert.Equal(new SettleJudge.Verdict(true, TimeSpan.Zero, false), _judge.Judge(Torn("{ still not json")));
    }

    private static SettingsRead Torn(string text) => new(ReadStatus.Present, Encoding.UTF8.GetBytes(text), null, "");
}
