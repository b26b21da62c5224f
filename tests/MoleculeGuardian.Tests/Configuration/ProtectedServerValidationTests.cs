using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Hosting;

namespace MoleculeGuardian.Tests.Configuration;

/// <summary>
/// The protected servers' own settings: accepted shapes, <c>${NAME}</c> references, and the rule that the spec must be
/// one of its shapes. Each mistake stops the start naming the full key (exit 78), never a silent default.
/// </summary>
public sealed class ProtectedServerValidationTests
{
    private const string Server = "Guardian:ProtectedServers:molecule-platform";

    private static GuardianOptions Bind(params (string Key, string? Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
        var options = new GuardianOptions();
        GuardianServiceCollectionExtensions.BindGuardian(configuration, options);
        return options;
    }

    private static List<string> Failures(GuardianOptions options) =>
        new GuardianOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Validate_TodaysNpxEntryAsTheSpecWithReferences_Succeeds()
    {
        var options = Bind(
            (Server + ":Command", "npx"),
            (Server + ":Args:0", "-y"),
            (Server + ":Args:1", "@molecule-ai/mcp-server@^1.8.0"),
            (Server + ":Env:MOLECULE_MCP_MODE", "management"),
            (Server + ":Env:MOLECULE_API_KEY", "${MOLECULE_API_KEY}"),
            (Server + ":Accept:npx:Command", "npx"),
            (Server + ":Accept:npx:Flags:0", "-y"),
            (Server + ":Accept:npx:Args:0", "@molecule-ai/mcp-server@*"),
            (Server + ":Accept:npx:EnvKeys:0", "MOLECULE_*"));

        Assert.Empty(Failures(options));
    }

    [Fact]
    public void Validate_SpecOfNoneOfItsShapes_FailsNamingTheServerAndTheShapes()
    {
        var options = Bind((Server + ":Command", "node"), (Server + ":Accept:npx:Command", "npx"));

        Assert.Equal(
            $"{Server} (its Command, Args and Env keys) is none of its accepted shapes (npx): the guardian would replace the entry it writes. Add a shape under Accept, or change the spec.",
            Assert.Single(Failures(options)));
    }

    [Fact]
    public void Validate_DefaultSpecWithAnEnvKeyNoShapeAllows_Fails()
    {
        var options = Bind((Server + ":Command", "molecule-platform-mcp"), (Server + ":Env:LD_PRELOAD", "/tmp/x.so"),
            (Server + ":Accept:baked:Command", "molecule-platform-mcp"), (Server + ":Accept:baked:EnvKeys:0", "MOLECULE_*"));

        Assert.Contains("is none of its accepted shapes (baked)", Assert.Single(Failures(options)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ShapeWithoutCommand_FailsNamingTheShape()
    {
        var options = Bind((Server + ":Command", "npx"), (Server + ":Accept:npx:Flags:0", "-y"));

        Assert.Equal($"{Server}:Accept:npx:Command must be set.", Assert.Single(Failures(options)));
    }

    [Theory]
    [InlineData("${")]
    [InlineData("key=${MOLECULE_API_KEY")]
    [InlineData("${1BAD}")]
    [InlineData("${A-B}")]
    public void Validate_MalformedReference_FailsNamingTheKey(string value)
    {
        var options = Bind((Server + ":Command", "molecule-platform-mcp"), (Server + ":Env:MOLECULE_API_KEY", value));

        Assert.Equal($"{Server}:Env:MOLECULE_API_KEY has a '${{' that does not start a ${{NAME}} reference (NAME: letters, digits and _).",
            Assert.Single(Failures(options)));
    }

    [Theory]
    [InlineData("Guardian:ProtectedServers:molecule-platform:Accept:npx:Comand", "npx")]
    [InlineData("Guardian:ProtectedServers:molecule-platform:Acept:npx:Command", "npx")]
    [InlineData("Guardian:Gate:Markr", "true")]
    public void BindGuardian_TypoUnderAcceptOrGate_IsAnErrorNamingTheFullKey(string key, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind((key, value)));

        Assert.Contains($"{key.Replace(":npx:Command", "", StringComparison.Ordinal)}", string.Join(" ", ex.Failures), StringComparison.Ordinal);
        Assert.Contains("is not a setting", string.Join(" ", ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void BindGuardian_GateSettings_Bind()
    {
        var options = Bind(("Guardian:Gate:Marker", "false"), ("Guardian:Gate:ManagementPlugin", ""));

        Assert.False(options.Gate.Marker);
        Assert.Equal("", options.Gate.ManagementPlugin);
    }
}
