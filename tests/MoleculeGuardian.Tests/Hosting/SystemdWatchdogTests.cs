using MoleculeGuardian.Hosting;

namespace MoleculeGuardian.Tests.Hosting;

public sealed class SystemdWatchdogTests
{
    [Fact]
    public void Interval_UsecSetForUs_IsThatInterval() =>
        Assert.Equal(TimeSpan.FromSeconds(30), SystemdWatchdog.Interval("30000000", "42", 42));

    [Fact]
    public void Interval_NoPidGiven_AppliesToUs() =>
        Assert.Equal(TimeSpan.FromSeconds(2), SystemdWatchdog.Interval("2000000", null, 42));

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0", null)]
    [InlineData("-5", null)]
    [InlineData("soon", null)]
    [InlineData("2000000", "43")]
    public void Interval_UnsetInvalidOrForAnotherProcess_IsNull(string? usec, string? pid) =>
        Assert.Null(SystemdWatchdog.Interval(usec, pid, 42));
}
