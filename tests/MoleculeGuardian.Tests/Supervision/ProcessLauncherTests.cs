using System.ComponentModel;
using MoleculeGuardian.Supervision;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>Real children: what .NET reports for their exit, their output and their user.</summary>
public sealed class ProcessLauncherTests
{
    private readonly ProcessLauncher _launcher = new();

    [Theory]
    [InlineData(Supervisor.SigKill, 137)]
    [InlineData(Supervisor.SigTerm, 143)]
    [InlineData(Supervisor.SigInt, 130)]
    public async Task Exited_ChildKilledBySignal_Is128PlusTheSignal(int signal, int expected)
    {
        // A signal ignored when the test run started stays ignored in every child: SIGINT and SIGQUIT are, for a run
        // started with '&' from a script (as Stryker or a CI step may be), and sleep would outlive a SIGINT. env puts
        // every signal's default action back before it becomes sleep; the signal is sent once it has.
        var child = _launcher.Start(new ChildSpec("env", ["--default-signal", "sleep", "60"]));
        await Eventually.TrueAsync(() => File.ReadAllText($"/proc/{child.Pid}/comm") == "sleep\n", "env to become sleep");

        child.Signal(signal);

        Assert.Equal(expected, await child.Exited.WaitAsync(Eventually.DefaultTimeout));
    }

    [Fact]
    public async Task Exited_ChildExitsWithAStatus_IsThatStatus()
    {
        var child = _launcher.Start(new ChildSpec("/bin/sh", ["-c", "exit 78"]));

        Assert.Equal(78, await child.Exited.WaitAsync(Eventually.DefaultTimeout));
        child.Signal(Supervisor.SigTerm);
    }

    [Fact]
    public async Task Output_Captured_HoldsWhatTheChildPrinted()
    {
        var child = _launcher.Start(new ChildSpec("/bin/sh", ["-c", "echo healed; echo twice"]) { CaptureOutput = true });

        Assert.Equal(0, await child.Exited.WaitAsync(Eventually.DefaultTimeout));
        Assert.Equal("healed\ntwice\n", await child.Output);
    }

    [Fact]
    public async Task Start_WorkingDirectory_ChildRunsThere()
    {
        var child = _launcher.Start(new ChildSpec("/bin/sh", ["-c", "pwd"]) { CaptureOutput = true, WorkingDirectory = "/usr" });

        await child.Exited.WaitAsync(Eventually.DefaultTimeout);
        Assert.Equal("/usr\n", await child.Output);
    }

    [Fact]
    public void Start_NoSuchFile_Throws() =>
        Assert.Throws<Win32Exception>(() => _launcher.Start(new ChildSpec("/nonexistent/runtime", [])));

    /// <summary>ProcessStartInfo.UserName on Unix: the user's uid, gid and groups, not the supervisor's.</summary>
    [RequiresFact(Root = true)]
    public async Task Start_UserName_ChildRunsAsThatUserWithItsGroups()
    {
        Requires.AssertRoot();
        var child = _launcher.Start(new ChildSpec("id", []) { CaptureOutput = true, UserName = "nobody", WorkingDirectory = "/" });

        await child.Exited.WaitAsync(Eventually.DefaultTimeout);

        Assert.StartsWith("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)", await child.Output, StringComparison.Ordinal);
    }
}
