using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>What of the supervisor's environment reaches the guardian's children, and what never does.</summary>
public sealed class GuardianEnvironmentTests
{
    private static Dictionary<string, string> From(IEnumerable<string> names, params string?[] settings) =>
        GuardianEnvironment.From(names.Select(n => KeyValuePair.Create(n, "value of " + n)), settings);

    [Theory]
    [InlineData("Guardian__SettingsPath")]
    [InlineData("GUARDIAN__SETTINGSPATH")]
    [InlineData("guardian__ProtectedServers__x__Command")]
    [InlineData("Guardian:SettingsPath")]
    [InlineData("Logging__Format")]
    [InlineData("LOGGING__MINIMUMLEVEL")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("OTEL_RESOURCE_ATTRIBUTES")]
    [InlineData("otel_service_name")]
    [InlineData("DOTNET_GCHeapHardLimit")]
    [InlineData("DOTNET_gcServer")]
    [InlineData("MOLECULE_PLATFORM_AGENT_IMAGE_BAKED")]
    [InlineData("MOLECULE_DECLARED_PLUGINS")]
    [InlineData("PATH")]
    [InlineData("TZ")]
    [InlineData("TMPDIR")]
    public void From_WhatTheGuardianReads_Passed(string name) =>
        Assert.Equal(new Dictionary<string, string> { [name] = "value of " + name }, From([name]));

    [Theory]
    [InlineData("MOLECULE_API_KEY")]
    [InlineData("AWS_SECRET_ACCESS_KEY")]
    [InlineData("HOME")]
    [InlineData("USER")]
    [InlineData("LOGNAME")]
    [InlineData("SHELL")]
    [InlineData("PWD")]
    [InlineData("LD_PRELOAD")]
    [InlineData("NOTIFY_SOCKET")]
    [InlineData("WATCHDOG_USEC")]
    [InlineData("WATCHDOG_PID")]
    [InlineData("Supervisor__RunAs")]
    [InlineData("GuardianX")]
    [InlineData("Guardian_SettingsPath")]
    [InlineData("path")]
    [InlineData("molecule_platform_agent_image_baked")]
    [InlineData("COMPlus_gcServer")]
    public void From_AnythingElse_Withheld(string name) => Assert.Empty(From([name]));

    /// <summary>A setting's ${NAME} is a variable run expands: it must reach run, wherever in the Guardian section it is.</summary>
    [Fact]
    public void From_VariablesNamedInGuardianSettings_Passed()
    {
        var passed = From(["MOLECULE_API_KEY", "MOLECULE_ORG_ID", "_X1", "OTHER_SECRET", "MOLECULE_API_URL"],
            "${MOLECULE_API_KEY}", "org ${MOLECULE_ORG_ID} and ${_X1}", null, "$MOLECULE_API_URL", "${1BAD}", "${}", "$(OTHER_SECRET)");

        Assert.Equal(["MOLECULE_API_KEY", "MOLECULE_ORG_ID", "_X1"], passed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("value of MOLECULE_API_KEY", passed["MOLECULE_API_KEY"]);
    }

    [Fact]
    public void From_NamedVariableNotSet_NotInvented() =>
        Assert.Empty(From(["PATHX"], "${MOLECULE_API_KEY}"));

    /// <summary>Names are exact: ${molecule_api_key} is another variable on Linux.</summary>
    [Fact]
    public void From_NamedVariableOtherCase_Withheld() =>
        Assert.Empty(From(["MOLECULE_API_KEY"], "${molecule_api_key}"));

    /// <summary>A service manager's variables and the user's own never pass, even named: HOME and USER come from the user database.</summary>
    [Theory]
    [InlineData("NOTIFY_SOCKET")]
    [InlineData("WATCHDOG_USEC")]
    [InlineData("HOME")]
    [InlineData("USER")]
    [InlineData("LOGNAME")]
    public void From_WithheldVariableNamedInASetting_StillWithheld(string name) =>
        Assert.Empty(From([name], "${" + name + "}"));
}
