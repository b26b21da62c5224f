using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>One line per signal kind and window: the first at once, the rest counted at the window's end.</summary>
public sealed class SignalLogLimiterTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();
    private readonly List<(int Signal, int Count, string Target)> _repeated = [];
    private readonly SignalLogLimiter _limiter;

    public SignalLogLimiterTests()
    {
        _limiter = new SignalLogLimiter(_time, Window, (signal, count, target) => _repeated.Add((signal, count, target)));
    }

    public void Dispose() => _limiter.Dispose();

    [Fact]
    public void Admit_OneSignal_LoggedAtOnceAndNoCountLater()
    {
        Assert.True(_limiter.Admit(1, "a"));

        _time.Advance(Window * 3);

        Assert.Empty(_repeated);
        Assert.True(_limiter.Admit(1, "a"));
    }

    /// <summary>A storm of 1,000 a second for 25 s: the first line, then one line per window with its count; every signal counted.</summary>
    [Fact]
    public void Admit_Storm_OneLinePerWindowWithTheCount()
    {
        var logged = 0;
        for (var ms = 0; ms < 25_000; ms++)
        {
            logged += _limiter.Admit(Signals.SigWinch, $"t{ms}") ? 1 : 0;
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        _time.Advance(Window * 2);

        Assert.Equal(1, logged);
        Assert.Equal([(28, 9_999, "t9999"), (28, 10_000, "t19999"), (28, 5_000, "t24999")], _repeated);
        Assert.Equal(25_000, logged + _repeated.Sum(r => r.Count));
    }

    [Fact]
    public void Admit_TwoKinds_EachItsOwnWindow()
    {
        Assert.True(_limiter.Admit(1, "a"));
        Assert.True(_limiter.Admit(10, "a"));
        Assert.False(_limiter.Admit(1, "b"));

        _time.Advance(Window);

        Assert.Equal([(1, 1, "b")], _repeated);
        Assert.False(_limiter.Admit(1, "c"));
        Assert.True(_limiter.Admit(10, "c"));
    }

    [Fact]
    public void Admit_AfterAQuietWindow_LoggedAtOnceAgain()
    {
        _ = _limiter.Admit(1, "a");
        _ = _limiter.Admit(1, "a");
        _time.Advance(Window);
        _time.Advance(Window);

        Assert.True(_limiter.Admit(1, "a"));
        Assert.Single(_repeated);
    }

    [Fact]
    public void Dispose_WithCountsPending_ReportedAtOnceAndNothingAfter()
    {
        _ = _limiter.Admit(1, "a");
        _ = _limiter.Admit(1, "b");
        _ = _limiter.Admit(10, "a");

        _limiter.Dispose();
        _time.Advance(Window * 2);

        Assert.Equal([(1, 1, "b")], _repeated);
        Assert.True(_limiter.Admit(1, "c"));
        Assert.True(_limiter.Admit(1, "c"));
    }
}
