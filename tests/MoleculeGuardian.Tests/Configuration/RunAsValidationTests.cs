using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Configuration;

/// <summary>
/// <c>Guardian:RunAs</c> (a user name, a uid, or uid:gid) against the identity the guardian starts as, and a settings
/// path with '.' or '..' components.
/// </summary>
public sealed class RunAsValidationTests
{
    [Fact]
    public void Validate_RunAsEmpty_Succeeds() =>
        AssertValid(Validate(Root(), o => o.RunAs = ""));

    [Fact]
    public void Validate_RunAsUserNameWithEntry_Succeeds()
    {
        var identity = Root();
        identity.Users["agent"] = (1000, 1000);

        AssertValid(Validate(identity, o => o.RunAs = "agent"));
    }

    [Fact]
    public void Validate_RunAsUserNameWithoutEntry_FailsNamingTheKey()
    {
        var identity = Root();
        identity.Users["agent"] = (1000, 1000);

        var failure = SingleFailure(Validate(identity, o => o.RunAs = "nobody-here"));

        Assert.StartsWith("Guardian:RunAs names no user (got 'nobody-here')", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("root")]
    [InlineData("0:0")]
    [InlineData("1000:0")]
    [InlineData("0:1000")]
    [InlineData("rootgroup")]
    public void Validate_RunAsRootUserOrGroup_FailsNotRoot(string runAs)
    {
        var identity = Root();
        identity.Users["root"] = (0, 0);
        identity.Users["rootgroup"] = (1001, 0);

        var failure = SingleFailure(Validate(identity, o => o.RunAs = runAs));

        Assert.Equal($"Guardian:RunAs must name an ordinary user, not root (got '{runAs}').", failure);
    }

    [Theory]
    [InlineData("1000:1000")]
    [InlineData("1000")]
    [InlineData("4294967294:4294967294")]
    public void Validate_RunAsNumericNonRoot_Succeeds(string runAs) =>
        AssertValid(Validate(Root(), o => o.RunAs = runAs));

    [Theory]
    [InlineData("1000:")]
    [InlineData(":1000")]
    [InlineData("1000:1000:1000")]
    [InlineData("-1")]
    [InlineData("4294967296")]
    [InlineData("agent:1000")]
    public void Validate_RunAsMalformed_FailsNamingTheKey(string runAs)
    {
        var identity = Root();
        identity.Users["agent"] = (1000, 1000);

        Assert.StartsWith("Guardian:RunAs ", SingleFailure(Validate(identity, o => o.RunAs = runAs)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2000")]
    [InlineData("2000:1000")]
    [InlineData("other")]
    [InlineData("1000:2000")]
    public void Validate_NotRootAndRunAsAnotherUser_FailsCannotSwitch(string runAs)
    {
        var identity = new RecordingIdentity(uid: 1000, gid: 1000);
        identity.Users["other"] = (2000, 2000);

        var failure = SingleFailure(Validate(identity, o => o.RunAs = runAs));

        Assert.StartsWith($"Guardian:RunAs is '{runAs}' (", failure, StringComparison.Ordinal);
        Assert.Contains("), but the guardian runs as 1000:1000 and cannot switch", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1000")]
    [InlineData("1000:1000")]
    [InlineData("agent")]
    [InlineData("")]
    public void Validate_NotRootAndRunAsItsOwnUid_Succeeds(string runAs)
    {
        var identity = new RecordingIdentity(uid: 1000, gid: 1000);
        identity.Users["agent"] = (1000, 1000);

        AssertValid(Validate(identity, o => o.RunAs = runAs));
    }

    [Fact]
    public void Validate_RunAsUidWithoutEntry_ResolvesToTheSameNumberAsGroup() =>
        Assert.Equal((1234u, 1234u), GuardianOptionsValidator.ResolveUser("1234", Root()));

    [Fact]
    public void Validate_RunAsUidWithEntry_ResolvesToItsPrimaryGroup()
    {
        var identity = Root();
        identity.Users["agent"] = (1000, 1001);

        Assert.Equal((1000u, 1001u), GuardianOptionsValidator.ResolveUser("1000", identity));
        Assert.Equal((1000u, 1001u), GuardianOptionsValidator.ResolveUser("agent", identity));
        Assert.Null(GuardianOptionsValidator.ResolveUser("", identity));
    }

    [Theory]
    [InlineData("/configs/../etc/settings.json")]
    [InlineData("/configs/./settings.json")]
    [InlineData("/configs/.claude/../settings.json")]
    [InlineData("/../settings.json")]
    public void Validate_SettingsPathWithDotComponents_FailsNamingSettingsPath(string path)
    {
        var failure = SingleFailure(Validate(Root(), o => o.SettingsPath = path));

        Assert.Equal($"Guardian:SettingsPath must not have '.' or '..' components (got '{path}').", failure);
    }

    [Theory]
    [InlineData("/configs/..claude/settings.json")]
    [InlineData("/configs/.claude/settings.json")]
    [InlineData("/configs/.../settings.json")]
    public void Validate_SettingsPathWithDotsInsideNames_Succeeds(string path) =>
        AssertValid(Validate(Root(), o => o.SettingsPath = path));

    private static RecordingIdentity Root() => new(uid: 0, gid: 0);

    private static ValidateOptionsResult Validate(RecordingIdentity identity, Action<GuardianOptions> change)
    {
        var options = new GuardianOptions();
        GuardianServiceCollectionExtensions.BindGuardian(new ConfigurationBuilder().Build(), options);
        change(options);
        return new GuardianOptionsValidator(identity).Validate(null, options);
    }

    private static void AssertValid(ValidateOptionsResult result) => Assert.True(result.Succeeded, result.FailureMessage);

    private static string SingleFailure(ValidateOptionsResult result)
    {
        Assert.True(result.Failed);
        return Assert.Single(result.Failures!);
    }
}
