using System.Globalization;
using System.Text.Json;
using MoleculeGuardian.Tests.Deploy;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// The container's supervisor (<c>supervise</c>), started as root as the image starts it, against what a neighbour
/// of uid 1000 can do: plant a program where the supervisor looks for the runtime, read the guardian's environment,
/// and signal the container. Each test lost to the supervisor of commit e3905d5.
/// </summary>
public sealed class SupervisorAttackTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    private readonly TempDirectory _temp = new();
    private readonly string _settings;
    private ProcessRunner? _supervisor;

    public SupervisorAttackTests()
    {
        // The temp root is root's (0700); uid 1000 must be able to reach what is below it.
        File.SetUnixFileMode(_temp.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        _settings = _temp.SettingsPath();
    }

    public void Dispose()
    {
        _supervisor?.Dispose();
        _temp.Dispose();
    }

    /// <summary>
    /// The runtime named bare (<c>supervise -- python3 ...</c>, as deploy/README.md invites) while the supervisor's
    /// working directory is one uid 1000 can write, holding its <c>./python3</c>. .NET's process start looked in the
    /// binary's directory and the working directory before PATH, so the planted program ran as root.
    /// </summary>
    [RequiresFact("python3", Root = true)]
    public async Task Supervise_PlantedProgramInTheWorkingDirectory_NeverRunsThePathsOneDoes()
    {
        Requires.AssertRoot();
        var writable = OtherUser.MakeDirectory(_temp.Combine("agent-writable"), "777");
        var planted = Path.Combine(writable, "python3");
        var marker = Path.Combine(writable, "planted-ran");
        File.WriteAllText(planted, $"#!/bin/sh\nid -u >{marker}\necho planted-python\n");
        File.SetUnixFileMode(planted, (UnixFileMode)Convert.ToInt32("755", 8));
        TestPosix.Chown(planted, OtherUser.Id, OtherUser.Id);

        _supervisor = ProcessRunner.Start(RequiredTool.Find("env", "coreutils"),
            ["--chdir", writable, ProcessRunner.SupervisorBinary, "--Supervisor:RunAs=", $"--Guardian:SettingsPath={_settings}",
                "--", "python3", "-c", "import os; print('real-python uid=%d' % os.getuid())"]);

        Assert.Equal(0, await _supervisor.WaitForExitAsync(ExitTimeout));
        Assert.False(File.Exists(marker), $"the planted ./python3 ran as uid {(File.Exists(marker) ? File.ReadAllText(marker).Trim() : "")}\n{_supervisor.Output}");
        Assert.Contains("real-python uid=0", _supervisor.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("planted-python", _supervisor.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>run</c> is started as the agent user, so any process of that user can read its /proc/PID/environ. It must hold
    /// no variable of root's but what the guardian needs (here: a protected server's <c>${NAME}</c>), and the agent
    /// user's HOME, USER and LOGNAME, not root's. Uid 1000's user-database entry when it has one (the concierge's
    /// agent), else nobody's: a CI container may have no user 1000, and the finding is the same for any user.
    /// </summary>
    [RequiresFact("setpriv", Root = true)]
    public async Task Supervise_RunChildsEnvironment_ReadByItsUserHoldsNoneOfRootsAndTheUsersHome()
    {
        Requires.AssertRoot();
        var user = PasswdEntry(OtherUser.Id) ?? PasswdEntry(65534) ?? throw new InvalidOperationException("neither uid 1000 nor nobody has a user-database entry");
        _supervisor = ProcessRunner.Start(OtherUser.SupervisorBinary,
            [$"--Supervisor:RunAs={user.Name}", $"--Supervisor:GuardianPath={OtherUser.GuardianBinary}", $"--Guardian:SettingsPath={_settings}",
                "--Guardian:ProtectedServers:molecule-platform:Env:MOLECULE_API_KEY=${MG_TEST_API_KEY}", "--", "/bin/sleep", "600"],
            new Dictionary<string, string?>
            {
                ["MG_TEST_ROOT_ONLY"] = "root-secret",
                ["MG_TEST_API_KEY"] = "api-key-for-run",
                ["NOTIFY_SOCKET"] = "/run/systemd/notify",
                ["HOME"] = "/root",
                ["USER"] = "root",
                ["LOGNAME"] = "root",
            });
        await Eventually.TrueAsync(() => Events("GuardianStarted").Count == 1, "run to start", context: () => _supervisor.Output);
        var pid = Events("GuardianStarted")[0].GetProperty("Pid").GetInt32();

        var (code, output) = await ProcessRunner.RunToolAsync(OtherUser.Setpriv,
            ["--reuid=" + user.Uid.ToString(CultureInfo.InvariantCulture), "--regid=" + user.Gid.ToString(CultureInfo.InvariantCulture), "--clear-groups",
                "cat", $"/proc/{pid}/environ"]);

        Assert.True(code == 0, $"uid {user.Uid} could not read run's environment: {output}");
        var environment = output.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2)).ToDictionary(v => v[0], v => v.Length > 1 ? v[1] : "", StringComparer.Ordinal);
        Assert.DoesNotContain("MG_TEST_ROOT_ONLY", environment.Keys);
        Assert.DoesNotContain("NOTIFY_SOCKET", environment.Keys);
        Assert.Equal((user.Home, user.Name, user.Name), (environment.GetValueOrDefault("HOME"), environment.GetValueOrDefault("USER"), environment.GetValueOrDefault("LOGNAME")));
        Assert.Equal("api-key-for-run", environment.GetValueOrDefault("MG_TEST_API_KEY"));
        Assert.Equal(StubCommands.PathWith(StubCommands.BakedDirectory), environment.GetValueOrDefault("PATH")); // what ProcessRunner gave the supervisor
    }

    /// <summary>
    /// tini, PID 1 of a pid namespace as in the image, passes SIGHUP and SIGUSR1 to the supervisor. They reach the
    /// runtime (a stand-in that traps them and runs on), the supervisor and the guardian stay up; SIGTERM still stops
    /// everything with the runtime's status. The supervisor used to die of them, and the namespace with it (129, 138).
    /// </summary>
    [RequiresFact("unshare", "tini", Root = true)]
    public async Task Tini_HupAndUsr1ToPid1_ReachTheRuntimeSupervisorStaysUpTermStillStops()
    {
        Requires.AssertRoot();
        var runtime = _temp.Combine("runtime");
        File.WriteAllText(runtime, TrappingRuntime);
        File.SetUnixFileMode(runtime, (UnixFileMode)Convert.ToInt32("755", 8));
        _supervisor = ProcessRunner.Start(RequiredTool.Find("unshare", "util-linux"),
            ["--pid", "--fork", "--mount-proc", RequiredTool.Find("tini", "tini"), "-s", "--",
                ProcessRunner.SupervisorBinary, "--Supervisor:RunAs=", $"--Guardian:SettingsPath={_settings}", "--", runtime]);
        await Eventually.TrueAsync(() => _supervisor.StandardOutput.Contains("runtime-start", StringComparison.Ordinal) && Events("GuardianStarted").Count == 1,
            "the runtime and the guardian to start", context: () => _supervisor.Output);
        var init = ChildOf(_supervisor.Id);

        foreach (var (signal, answer) in new[] { (SigHup, "runtime-hup"), (SigUsr1, "runtime-usr1") })
        {
            Posix.Kill(init, signal);
            await Eventually.TrueAsync(() => _supervisor.StandardOutput.Contains(answer, StringComparison.Ordinal) || _supervisor.HasExited,
                $"the runtime to trap signal {signal}", context: () => _supervisor.Output);
            Assert.False(_supervisor.HasExited, $"signal {signal} to PID 1 ended the container\n{_supervisor.Output}");
        }

        Assert.Empty(Events("GuardianExited"));
        Posix.Kill(init, Posix.SigTerm);
        Assert.Equal(23, await _supervisor.WaitForExitAsync(ExitTimeout));
        Assert.Contains("runtime-stop", _supervisor.StandardOutput, StringComparison.Ordinal);
        Assert.Single(Events("GuardianStarted"));
    }

    private const int SigHup = 1;
    private const int SigUsr1 = 10;

    /// <summary>A runtime that says which signals reached it and runs on, until SIGTERM: then it exits 23.</summary>
    private const string TrappingRuntime = """
        #!/bin/sh
        sleep 600 >/dev/null 2>&1 &
        sleeper=$!
        trap 'echo runtime-hup' HUP
        trap 'echo runtime-usr1' USR1
        trap 'kill "$sleeper"; echo runtime-stop; exit 23' TERM
        echo runtime-start
        while kill -0 "$sleeper" 2>/dev/null; do wait "$sleeper"; done

        """;

    private List<JsonElement> Events(string name)
    {
        var events = new List<JsonElement>();
        foreach (var line in (_supervisor?.StandardOutput ?? "").Split('\n').Where(l => l.StartsWith('{') && JsonLines.IsWholeJson(l)))
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("EventId", out var id) && id.GetProperty("Name").GetString() == name)
            {
                events.Add(doc.RootElement.Clone());
            }
        }

        return events;
    }

    /// <summary>The one child of <paramref name="pid"/> (unshare's: PID 1 of the new namespace), by its host pid.</summary>
    private static int ChildOf(int pid) =>
        int.Parse(File.ReadAllText($"/proc/{pid}/task/{pid}/children").Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    private static (string Name, uint Uid, uint Gid, string Home)? PasswdEntry(uint uid)
    {
        foreach (var line in File.ReadAllLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 7 && fields[2] == uid.ToString(CultureInfo.InvariantCulture))
            {
                return (fields[0], uid, uint.Parse(fields[3], CultureInfo.InvariantCulture), fields[5]);
            }
        }

        return null;
    }
}
