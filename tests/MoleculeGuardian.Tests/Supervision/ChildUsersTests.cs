using MoleculeGuardian.Files;
using MoleculeGuardian.Supervision;

namespace MoleculeGuardian.Tests.Supervision;

/// <summary>Whom the supervisor starts a child as: <c>Supervisor:RunAs</c> against the user database (root and nobody, which every Debian system has).</summary>
public sealed class ChildUsersTests
{
    /// <summary>Every form Guardian:RunAs takes, read by its own parser.</summary>
    [Theory]
    [InlineData("nobody")]
    [InlineData("65534")]
    [InlineData("65534:65534")]
    public void ResolveRunAs_AnyForm_TheUsersEntry(string runAs) =>
        Assert.Equal(new UserEntry("nobody", 65534, 65534, "/nonexistent"), ChildUsers.ResolveRunAs(runAs));

    [Theory]
    [InlineData("no-such-user-mg", "names no user (got 'no-such-user-mg')")]
    [InlineData("1:2:3", "names no user (got '1:2:3')")]
    [InlineData("4242", "'4242': uid 4242 has no user-database entry")]
    [InlineData("4242:4242", "'4242:4242': uid 4242 has no user-database entry")]
    [InlineData("65534:0", "'65534:0' asks for group 0, but nobody's primary group is 65534")]
    public void ResolveRunAs_NoUserToStartAs_SaysWhy(string runAs, string error) =>
        Assert.StartsWith(error, Assert.Throws<FormatException>(() => ChildUsers.ResolveRunAs(runAs)).Message, StringComparison.Ordinal);
}
