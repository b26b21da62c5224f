using MoleculeGuardian.Files;

namespace MoleculeGuardian.Tests.Files;

/// <summary>The user database as the guardian and the supervisor read it: root and nobody, which every Debian system has.</summary>
public sealed class UserDatabaseTests
{
    [Fact]
    public void ByUid_Root_NameAndHome() => Assert.Equal(new UserEntry("root", 0, 0, "/root"), UserDatabase.ByUid(0));

    [Fact]
    public void ByName_Nobody_ItsIds() => Assert.Equal(new UserEntry("nobody", 65534, 65534, "/nonexistent"), UserDatabase.ByName("nobody"));

    [Fact]
    public void ByUid_NoEntry_Null() => Assert.Null(UserDatabase.ByUid(4242));
}
