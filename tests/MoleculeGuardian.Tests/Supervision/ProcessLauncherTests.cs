using System.ComponentModel;
using MoleculeGuardian.Supervision;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>Real children: what .NET reports for their exit, their output and their user.</summary>
public sealed class ProcessLauncherTests
{
    private readonly ProcessLauncher _launcher = new();

    [Theory]
    [InlineData(Signals.SigKill, 137)]
    [InlineData(Signals.SigTerm, 143)]
    [InlineData(Signals.SigInt, 130)]
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
        child.Signal(Signals.SigTerm);
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
    public async Task Start_RunAs_ChildRunsAsThatUserWithItsGroups()
    {
        Requires.AssertRoot();
        var child = _launcher.Start(new ChildSpec("id", []) { CaptureOutput = true, RunAs = "nobody", WorkingDirectory = "/" });

        await child.Exited.WaitAsync(Eventually.DefaultTimeout);

        Assert.StartsWith("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)", await child.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_BareName_FoundOnPath()
    {
        var child = _launcher.Start(new ChildSpec("sh", ["-c", "echo found"]) { CaptureOutput = true, WorkingDirectory = "/" });

        Assert.Equal(0, await child.Exited.WaitAsync(Eventually.DefaultTimeout));
        Assert.Equal("found\n", await child.Output);
    }

    [Fact]
    public void Start_BareNameOnNoDirectoryOfPath_ThrowsNamingPath() =>
        Assert.StartsWith("'mg-no-such-program' is in no directory of PATH (/",
            Assert.Throws<Win32Exception>(() => _launcher.Start(new ChildSpec("mg-no-such-program", []))).Message, StringComparison.Ordinal);

    /// <summary>A relative name with a '/' is relative to where the child starts, as execve after the child's chdir.</summary>
    [Fact]
    public async Task Start_RelativeNameWithASlash_RelativeToTheChildsWorkingDirectory()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Combine("bin"));
        File.WriteAllText(temp.Combine("bin", "tool"), "#!/bin/sh\necho tool-ran\n");
        File.SetUnixFileMode(temp.Combine("bin", "tool"), (UnixFileMode)Convert.ToInt32("755", 8));

        var child = _launcher.Start(new ChildSpec("bin/tool", []) { CaptureOutput = true, WorkingDirectory = temp.Path });

        Assert.Equal(0, await child.Exited.WaitAsync(Eventually.DefaultTimeout));
        Assert.Equal("tool-ran\n", await child.Output);
    }

    /// <summary>An environment given: exactly it, plus HOME, USER and LOGNAME of the user the child runs as (here the test's own).</summary>
    [Fact]
    public async Task Start_EnvironmentGiven_ExactlyThatAndTheUsersOwnHome()
    {
        var user = ChildUsers.Current()!;
        var child = _launcher.Start(new ChildSpec("/usr/bin/env", [])
        {
            CaptureOutput = true,
            Environment = new Dictionary<string, string> { ["Guardian__X"] = "1", ["HOME"] = "/elsewhere", ["PATH"] = "/usr/bin:/bin" },
        });

        await child.Exited.WaitAsync(Eventually.DefaultTimeout);

        Assert.Equal(["Guardian__X=1", $"HOME={user.Home}", $"LOGNAME={user.Name}", "PATH=/usr/bin:/bin", $"USER={user.Name}"],
            (await child.Output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [RequiresFact(Root = true)]
    public async Task Start_EnvironmentGivenAndRunAs_ThatUsersHomeAndName()
    {
        Requires.AssertRoot();
        var child = _launcher.Start(new ChildSpec("/usr/bin/env", [])
        {
            CaptureOutput = true,
            RunAs = "65534",
            WorkingDirectory = "/",
            Environment = new Dictionary<string, string>(),
        });

        await child.Exited.WaitAsync(Eventually.DefaultTimeout);

        Assert.Equal(["HOME=/nonexistent", "LOGNAME=nobody", "USER=nobody"],
            (await child.Output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Start_NoEnvironmentGiven_TheSupervisorsWhole()
    {
        var child = _launcher.Start(new ChildSpec("/usr/bin/env", []) { CaptureOutput = true });

        await child.Exited.WaitAsync(Eventually.DefaultTimeout);

        var lines = (await child.Output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"PATH={Environment.GetEnvironmentVariable("PATH")}", lines);
        Assert.Equal(Environment.GetEnvironmentVariables().Count, lines.Length);
    }

    [Fact]
    public void Start_RunAsNobodyCanBeStartedAs_ThrowsNamingTheSetting() =>
        Assert.StartsWith("Supervisor:RunAs '4242': uid 4242 has no user-database entry",
            Assert.Throws<InvalidOperationException>(() => _launcher.Start(new ChildSpec("/bin/true", []) { RunAs = "4242" })).Message, StringComparison.Ordinal);
}
