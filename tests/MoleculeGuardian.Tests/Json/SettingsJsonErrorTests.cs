using MoleculeGuardian.Json;

namespace MoleculeGuardian.Tests.Json;

/// <summary>
/// The words of a failed parse go into the TornRead log line and the quarantine reason: each kind of failure has its
/// own, fixed text. And the repeated-key flag must be exactly as documented when the parse fails.
/// </summary>
public sealed class SettingsJsonErrorTests
{
    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 0x20, 0x0A, 0x09, 0x0D }, "empty")]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x0A }, "empty")]
    [InlineData(new byte[] { 0x7B, 0xFF, 0x7D }, "not valid UTF-8")]
    [InlineData(new byte[] { 0xEF, 0xBB, 0x7B, 0x7D }, "not valid UTF-8")]
    [InlineData(new byte[] { 0x7B, 0x0A, 0x20, 0x31, 0x7D }, "not valid JSON (line 2, byte 2)")]
    public void TryParse_Failure_GivesItsFixedText(byte[] bytes, string expected)
    {
        Assert.False(SettingsJson.TryParse(bytes, out var document, out var error));

        Assert.Equal(expected, error);
        Assert.Null(document);
    }

    [Theory]
    [InlineData("""{"a": "\ud800"}""")]
    [InlineData("""{"\udc00": 1}""")]
    [InlineData("""{"b": 1, "b": 2, "a": 1, "a": ["\udc00"]}""")]
    [InlineData("""{"a": "\ud800", "b": "\udc01"}""")]
    public void TryParse_LoneSurrogate_InvalidEscapeAndInvalid(string json)
    {
        Assert.False(SettingsJson.TryParse(System.Text.Encoding.UTF8.GetBytes(json), SettingsJson.MaxValues, out _, out var error, out var failure));

        Assert.Equal("not valid JSON (invalid string escape)", error);
        Assert.Equal(ParseFailure.Invalid, failure);
    }

    [Fact]
    public void TryParse_WhitespaceAroundADocument_Parses()
    {
        Assert.True(SettingsJson.TryParse("\r\n\t {}\n"u8.ToArray(), out var document, out var error), error);

        Assert.Equal("{}", document!.Root.GetRawText());
        Assert.Equal("", error);
    }
}
