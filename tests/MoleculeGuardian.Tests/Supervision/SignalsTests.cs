using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>The signal table: every signal 1-64 has its route, as the comment on <see cref="Signals"/> says.</summary>
public sealed class SignalsTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(15)]
    public void Route_TermAndInt_Stop(int signal) => Assert.Equal(SignalRoute.Stop, Signals.Route(signal, 34));

    /// <summary>Everything tini passes on but TERM/INT, plus SIGTTIN/SIGTTOU.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(16)]
    [InlineData(18)]
    [InlineData(20)]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    [InlineData(24)]
    [InlineData(25)]
    [InlineData(26)]
    [InlineData(27)]
    [InlineData(28)]
    [InlineData(29)]
    [InlineData(30)]
    [InlineData(35)]
    [InlineData(50)]
    [InlineData(64)]
    public void Route_EveryOtherSignalTiniPassesOn_Runtime(int signal) => Assert.Equal(SignalRoute.Runtime, Signals.Route(signal, 34));

    /// <summary>Faults, uncatchable, the supervisor's own SIGCHLD, ignored SIGPIPE, the C library's and .NET's real-time signals.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(17)]
    [InlineData(19)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(34)]
    [InlineData(65)]
    public void Route_FaultsOwnAndReserved_NotHandled(int signal) => Assert.Equal(SignalRoute.NotHandled, Signals.Route(signal, 34));

    /// <summary>musl keeps 32-34 for itself and its SIGRTMIN is 35: .NET's thread suspension signal is then 35.</summary>
    [Fact]
    public void Route_SigRtMinOfAnotherCLibrary_ThatOneLeftToDotNet()
    {
        Assert.Equal(SignalRoute.NotHandled, Signals.Route(35, 35));
        Assert.Equal(SignalRoute.Runtime, Signals.Route(36, 35));
    }

    [Fact]
    public void Handled_ThisProcess_TermIntAndEveryRuntimeSignalAboveThisCLibrarysSigRtMin()
    {
        Assert.Equal(34, Signals.SigRtMin);
        Assert.Equal([1, 2, 3, 10, 12, 14, 15, 16, 18, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, .. Enumerable.Range(35, 30)], Signals.Handled);
    }

    [Theory]
    [InlineData(1, "SIGHUP")]
    [InlineData(10, "SIGUSR1")]
    [InlineData(15, "SIGTERM")]
    [InlineData(28, "SIGWINCH")]
    [InlineData(31, "SIGSYS")]
    [InlineData(34, "SIGRTMIN")]
    [InlineData(35, "SIGRTMIN+1")]
    [InlineData(64, "SIGRTMIN+30")]
    [InlineData(33, "signal 33")]
    [InlineData(65, "signal 65")]
    public void Name_AsKillListsIt(int signal, string name) => Assert.Equal(name, Signals.Name(signal));
}
