using MoleculeGuardian.Hosting;

namespace MoleculeGuardian.Tests.Hosting;

/// <summary>
/// The guardian talks to a service manager only on its documented signals, never by looking at its parent in /proc
/// (which ProtectProc=invisible hides from the unit's own user).
/// </summary>
public sealed class SystemdDetectionTests
{
    private const int OwnPid = 4242;

    [Theory]
    [InlineData("/run/systemd/notify", null)]
    [InlineData("/run/systemd/notify", "4242")]
    [InlineData("@/org/freedesktop/systemd1/notify/123", "4242")]
    public void IsSystemdNotifyTarget_SocketForThisProcess_True(string socket, string? execPid)
    {
        Assert.True(GuardianHost.IsSystemdNotifyTarget(Environment(socket, execPid), OwnPid));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "4242")]
    [InlineData(null, "4242")]
    public void IsSystemdNotifyTarget_NoSocket_False(string? socket, string? execPid)
    {
        Assert.False(GuardianHost.IsSystemdNotifyTarget(Environment(socket, execPid), OwnPid));
    }

    /// <summary>A socket inherited from a parent the manager started (a wrapper script) is not ours to notify.</summary>
    [Theory]
    [InlineData("1")]
    [InlineData("4243")]
    [InlineData("not-a-pid")]
    public void IsSystemdNotifyTarget_ManagerStartedAnotherProcess_False(string execPid)
    {
        Assert.False(GuardianHost.IsSystemdNotifyTarget(Environment("/run/systemd/notify", execPid), OwnPid));
    }

    private static Func<string, string?> Environment(string? socket, string? execPid) => name => name switch
    {
        "NOTIFY_SOCKET" => socket,
        "SYSTEMD_EXEC_PID" => execPid,
        _ => null,
    };
}
