using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

public sealed class RestartPolicyTests
{
    private readonly RestartPolicy _policy = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), noRestartStatus: 78);

    [Fact]
    public void OnExit_QuickExits_DoubleUpToTheCap()
    {
        var delays = Enumerable.Range(0, 8).Select(_ => _policy.OnExit(1, TimeSpan.FromSeconds(2))!.Value.TotalSeconds);

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], delays);
    }

    [Fact]
    public void OnExit_AfterAHealthyRun_BackToTheMinimum()
    {
        _ = _policy.OnExit(1, TimeSpan.Zero);
        _ = _policy.OnExit(1, TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromSeconds(1), _policy.OnExit(137, TimeSpan.FromSeconds(60)));
        Assert.Equal(TimeSpan.FromSeconds(2), _policy.OnExit(137, TimeSpan.FromSeconds(59)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(137)]
    public void OnExit_AnyStatusBut78_Restarts(int status) => Assert.NotNull(_policy.OnExit(status, TimeSpan.Zero));

    [Fact]
    public void OnExit_78_NeverRestarts() => Assert.Null(_policy.OnExit(78, TimeSpan.FromHours(1)));
}
