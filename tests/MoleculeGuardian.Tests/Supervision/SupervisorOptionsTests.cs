using Microsoft.Extensions.Configuration;
using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

public sealed class SupervisorOptionsTests
{
    private static SupervisorOptions Read(List<string> errors, params (string Key, string? Value)[] values) =>
        SupervisorOptions.From(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build(), errors);

    private static object Settings(SupervisorOptions o) =>
        (o.RunAs, o.RestartMinDelay, o.RestartMaxDelay, o.RestartResetAfter, o.HealTimeout, o.StopTimeout, o.WorkingDirectory, o.GuardianPath, o.RuntimeCommand);

    [Fact]
    public void From_NothingSet_Defaults()
    {
        var errors = new List<string>();

        var options = Read(errors);

        Assert.Empty(errors);
        Assert.Equal(("agent", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(10),
            "/", Path.Combine(AppContext.BaseDirectory, "molecule-guardian"), ""), Settings(options));
    }

    [Fact]
    public void From_ValuesSet_Read()
    {
        var errors = new List<string>();

        var options = Read(errors, ("Supervisor:RunAs", ""), ("Supervisor:RestartMinDelay", "250ms"), ("Supervisor:RestartMaxDelay", "2m"),
            ("Supervisor:RestartResetAfter", "00:05:00"), ("Supervisor:HealTimeout", "1.5s"), ("Supervisor:StopTimeout", "3s"),
            ("Supervisor:WorkingDirectory", "/srv"), ("Supervisor:GuardianPath", "molecule-guardian"), ("supervisor:runtimecommand", "/platform-agent-entrypoint.sh"));

        Assert.Empty(errors);
        Assert.Equal(("", TimeSpan.FromMilliseconds(250), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(3),
            "/srv", "molecule-guardian", "/platform-agent-entrypoint.sh"), Settings(options));
    }

    /// <summary>RunAs in every form Guardian:RunAs takes, read by the same parser, for users the database has.</summary>
    [Theory]
    [InlineData("nobody")]
    [InlineData("65534")]
    [InlineData("root")]
    [InlineData("0:0")]
    public void From_RunAsOfAUserWithAnEntry_Read(string runAs)
    {
        var errors = new List<string>();

        Assert.Equal(runAs, Read(errors, ("Supervisor:RunAs", runAs)).RunAs);
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("Supervisor:HealTimeout", "60", "Supervisor:HealTimeout='60' is not a duration")]
    [InlineData("Supervisor:StopTimeout", "0s", "Supervisor:StopTimeout='0s' is not a duration")]
    [InlineData("Supervisor:RestartMinDelay", "-1s", "Supervisor:RestartMinDelay='-1s' is not a duration")]
    [InlineData("Supervisor:RestartResetAfter", "soon", "Supervisor:RestartResetAfter='soon' is not a duration")]
    [InlineData("Supervisor:RunsAs", "agent", "Supervisor:RunsAs is not a setting")]
    [InlineData("Supervisor:RunAs:Name", "agent", "Supervisor:RunAs:Name is not a setting")]
    [InlineData("Supervisor:RunAs", "no-such-user-mg", "Supervisor:RunAs names no user (got 'no-such-user-mg'); give a user name, a uid, or uid:gid; using 'agent'.")]
    [InlineData("Supervisor:RunAs", "4242", "Supervisor:RunAs '4242': uid 4242 has no user-database entry")]
    [InlineData("Supervisor:RunAs", "0:5", "Supervisor:RunAs '0:5' asks for group 5, but root's primary group is 0")]
    [InlineData("Supervisor:WorkingDirectory", "srv", "Supervisor:WorkingDirectory must be an absolute path (got 'srv'); using '/'.")]
    public void From_BadValue_NamedAndTheDefaultUsed(string key, string value, string error)
    {
        var errors = new List<string>();

        var options = Read(errors, (key, value));

        Assert.StartsWith(error, Assert.Single(errors), StringComparison.Ordinal);
        Assert.Equal(Settings(new SupervisorOptions()), Settings(options));
    }

    [Fact]
    public void From_MaxDelayBelowMinDelay_NamedAndTheMinimumUsedForBoth()
    {
        var errors = new List<string>();

        var options = Read(errors, ("Supervisor:RestartMinDelay", "2s"), ("Supervisor:RestartMaxDelay", "10ms"));

        Assert.Equal("Supervisor:RestartMaxDelay is below RestartMinDelay; using RestartMinDelay for both.", Assert.Single(errors));
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)), (options.RestartMinDelay, options.RestartMaxDelay));
    }

    [Fact]
    public void From_GuardianPathEmpty_TheGuardianNextToTheSupervisor() =>
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "molecule-guardian"), Read([], ("Supervisor:GuardianPath", "")).GuardianPath);

    /// <summary>
    /// The heal as the supervisor (it drops to the directory's owner itself), `run` as RunAs when root, both in `/` with the
    /// allowlisted environment; the runtime as given, in the supervisor's own directory, with its whole environment.
    /// </summary>
    [Fact]
    public void Commands_FromOptions_GuardiansChildrenConfinedRuntimeAsTheImageWouldStartIt()
    {
        var options = new SupervisorOptions { GuardianPath = "/opt/molecule-guardian/molecule-guardian" };
        var environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin" };

        var commands = SupervisorCommands.From(options, ["--Guardian:SettingsPath=/s.json"], ["/platform-agent-entrypoint.sh", "--x"], environment, privileged: true);

        Assert.Equal(("/opt/molecule-guardian/molecule-guardian", true, null as string, "/"),
            (commands.Heal.FileName, commands.Heal.CaptureOutput, commands.Heal.RunAs, commands.Heal.WorkingDirectory));
        Assert.Equal(["heal", "--Guardian:SettingsPath=/s.json"], commands.Heal.Arguments);
        Assert.Equal(["run", "--Guardian:SettingsPath=/s.json"], commands.Guardian.Arguments);
        Assert.Equal((false, "agent", "/"), (commands.Guardian.CaptureOutput, commands.Guardian.RunAs, commands.Guardian.WorkingDirectory));
        Assert.Same(environment, commands.Heal.Environment);
        Assert.Same(environment, commands.Guardian.Environment);
        Assert.Equal(("/platform-agent-entrypoint.sh", null as string, null as string, null as IReadOnlyDictionary<string, string>),
            (commands.Runtime.FileName, commands.Runtime.RunAs, commands.Runtime.WorkingDirectory, commands.Runtime.Environment));
        Assert.Equal(["--x"], commands.Runtime.Arguments);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("agent", false)]
    public void Commands_RunAsEmptyOrNotRoot_GuardianStaysTheSupervisorsUser(string runAs, bool privileged) =>
        Assert.Null(SupervisorCommands.From(new SupervisorOptions { RunAs = runAs }, [], ["/r"], new Dictionary<string, string>(), privileged).Guardian.RunAs);

    [Fact]
    public void Commands_WorkingDirectorySet_GuardiansChildrenStartThereTheRuntimeDoesNot()
    {
        var commands = SupervisorCommands.From(new SupervisorOptions { WorkingDirectory = "/srv" }, [], ["/r"], new Dictionary<string, string>(), true);

        Assert.Equal(("/srv", "/srv", null as string), (commands.Heal.WorkingDirectory, commands.Guardian.WorkingDirectory, commands.Runtime.WorkingDirectory));
    }
}
