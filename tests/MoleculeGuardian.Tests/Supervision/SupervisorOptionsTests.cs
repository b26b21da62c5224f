using Microsoft.Extensions.Configuration;
using MoleculeGuardian.Cli;
using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

public sealed class SupervisorOptionsTests
{
    private static SupervisorOptions Read(List<string> errors, params (string Key, string Value)[] values) =>
        SupervisorOptions.From(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build(), errors);

    [Fact]
    public void From_NothingSet_Defaults()
    {
        var errors = new List<string>();

        var options = Read(errors);

        Assert.Empty(errors);
        Assert.Equal(new SupervisorOptions(), options);
        Assert.Equal("agent", options.RunAs);
        Assert.Equal(Environment.ProcessPath, options.GuardianPath);
    }

    [Fact]
    public void From_ValuesSet_Read()
    {
        var errors = new List<string>();

        var options = Read(errors, ("Supervisor:RunAs", ""), ("Supervisor:RestartMinDelay", "250ms"), ("Supervisor:RestartMaxDelay", "2m"),
            ("Supervisor:StopTimeout", "3s"), ("Supervisor:RuntimeCommand", "/platform-agent-entrypoint.sh"));

        Assert.Empty(errors);
        Assert.Equal(("", TimeSpan.FromMilliseconds(250), TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(3), "/platform-agent-entrypoint.sh"),
            (options.RunAs, options.RestartMinDelay, options.RestartMaxDelay, options.StopTimeout, options.RuntimeCommand));
    }

    [Theory]
    [InlineData("Supervisor:HealTimeout", "60", "Supervisor:HealTimeout='60' is not a duration")]
    [InlineData("Supervisor:StopTimeout", "0s", "Supervisor:StopTimeout='0s' is not a duration")]
    [InlineData("Supervisor:RestartMaxDelay", "10ms", "Supervisor:RestartMaxDelay is below RestartMinDelay")]
    [InlineData("Supervisor:RunsAs", "agent", "Supervisor:RunsAs is not a setting")]
    public void From_BadValue_NamedAndTheDefaultUsed(string key, string value, string error)
    {
        var errors = new List<string>();

        var options = Read(errors, (key, value));

        Assert.StartsWith(error, Assert.Single(errors), StringComparison.Ordinal);
        Assert.Equal(new SupervisorOptions().HealTimeout, options.HealTimeout);
        Assert.Equal(new SupervisorOptions().StopTimeout, options.StopTimeout);
        Assert.True(options.RestartMaxDelay >= options.RestartMinDelay);
    }

    /// <summary>The heal as the supervisor (it drops to the directory's owner itself), `run` as RunAs when root, both told nothing of a service manager.</summary>
    [Fact]
    public void Commands_FromOptions_HealCapturedRunAsTheUserRuntimeAsGiven()
    {
        var options = new SupervisorOptions { GuardianPath = "/opt/molecule-guardian/molecule-guardian" };

        var commands = SuperviseCommand.Commands(options, ["--Guardian:SettingsPath=/s.json"], ["/platform-agent-entrypoint.sh", "--x"]);

        Assert.Equal(("/opt/molecule-guardian/molecule-guardian", true, null as string, "/opt/molecule-guardian"),
            (commands.Heal.FileName, commands.Heal.CaptureOutput, commands.Heal.UserName, commands.Heal.WorkingDirectory));
        Assert.Equal(["heal", "--Guardian:SettingsPath=/s.json"], commands.Heal.Arguments);
        Assert.Equal(["run", "--Guardian:SettingsPath=/s.json"], commands.Guardian.Arguments);
        Assert.False(commands.Guardian.CaptureOutput);
        Assert.Equal(Environment.IsPrivilegedProcess ? "agent" : null, commands.Guardian.UserName);
        Assert.Equal(["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"], commands.Guardian.RemoveEnvironment);
        Assert.Equal(commands.Heal.RemoveEnvironment, commands.Guardian.RemoveEnvironment);
        Assert.Equal(("/platform-agent-entrypoint.sh", null as string), (commands.Runtime.FileName, commands.Runtime.UserName));
        Assert.Equal(["--x"], commands.Runtime.Arguments);
        Assert.Empty(commands.Runtime.RemoveEnvironment);
    }

    [Fact]
    public void Commands_RunAsEmpty_GuardianStaysTheSupervisorsUser() =>
        Assert.Null(SuperviseCommand.Commands(new SupervisorOptions { RunAs = "" }, [], ["/r"]).Guardian.UserName);
}
