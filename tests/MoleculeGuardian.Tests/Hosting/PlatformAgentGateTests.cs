using MoleculeGuardian.Hosting;

namespace MoleculeGuardian.Tests.Hosting;

public sealed class PlatformAgentGateTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("yes")]
    [InlineData("baked")]
    [InlineData(" 1 ")]
    public void IsOn_SetToAnythingElse_IsTrue(string value) => Assert.True(PlatformAgentGate.IsOn(value));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("0")]
    [InlineData("false")]
    [InlineData("FALSE")]
    [InlineData("False")]
    [InlineData("no")]
    [InlineData("No")]
    [InlineData(" no ")]
    public void IsOn_UnsetEmptyZeroFalseOrNo_IsFalse(string? value) => Assert.False(PlatformAgentGate.IsOn(value));
}
