using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Tests.Json;

/// <summary>
/// The parse scans with Utf8JsonReader (grammar, depth, token count, repeated keys, bad escapes) and then builds a
/// JsonDocument. These cases pin both halves: what it reads must equal System.Text.Json's own reading, and what it
/// turns down must get exactly the error System.Text.Json gives.
/// </summary>
public sealed class SettingsJsonParsePathTests
{
    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = SettingsJson.MaxDepth };

    [Theory]
    [InlineData("""{"a": "plain", "b": "esc\"aped\\ \/ \n \u00e9 \ud83d\ude00", "c": "caf\u00e9 ☕"}""")]
    [InlineData("""[0, -0, 1.0, 1e5, 1E400, -2.5e-3, 12345678901234567890, 0.10]""")]
    [InlineData("""{"t": true, "f": false, "n": null, "e": {}, "l": [], "x": [{}, [[]]]}""")]
    [InlineData(" \t\r\n [ 1 , \"a\" , { \"k\" : null } ] \r\n")]
    [InlineData("\"just a string\"")]
    [InlineData("42")]
    [InlineData("""{"k\u0041y": 1, "\"": 2, "": 3}""")]
    public void TryParse_StrictJson_EqualsSystemTextJson(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);

        Assert.True(SettingsJson.TryParse(bytes, out var parsed, out var error), error);

        var expected = JsonNode.Parse(bytes, documentOptions: Strict);
        Assert.True(JsonNode.DeepEquals(expected, Support.JsonNodes.Of(parsed!)));
        Assert.Equal(SettingsJson.Serialize(expected), SettingsJson.Serialize(parsed!));
    }

    [Theory]
    [InlineData("[1,]")]
    [InlineData("""{"a": 1,}""")]
    [InlineData("[01]")]
    [InlineData("[1.]")]
    [InlineData("[-]")]
    [InlineData("[+1]")]
    [InlineData("[1 2]")]
    [InlineData("[truex]")]
    [InlineData("[nul]")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{\"a\": 1} x")]
    [InlineData("{\"a\": \"tab\there\"}")]
    [InlineData("{\"a\": \"bad \\x escape\"}")]
    [InlineData("{\"a\": \"bad \\u12G4 escape\"}")]
    [InlineData("{\"a\": \"unterminated}")]
    [InlineData("[\f1]")]
    [InlineData("[1] // comment")]
    public void TryParse_NotStrictJson_GivesTheFullValidationsError(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);

        Assert.False(SettingsJson.TryParse(bytes, SettingsJson.MaxValues, out var parsed, out var error, out var failure));

        var ex = Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(bytes, Strict).Dispose());
        Assert.Equal($"not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})", error);
        Assert.Null(parsed);
        Assert.Equal(ParseFailure.Invalid, failure);
    }

    [Fact]
    public void TryParse_LoneSurrogateThenASyntaxError_ReportsTheSyntaxError()
    {
        var bytes = """{"a": "\ud800", "b": 1,}"""u8.ToArray();

        Assert.False(SettingsJson.TryParse(bytes, out _, out var error));

        Assert.StartsWith("not valid JSON (line 1, byte ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_DuplicateKeys_LastValueAtTheFirstPlace()
    {
        Assert.True(SettingsJson.TryParse("""{"a": 1, "b": 2, "a": {"x": "y"}}"""u8.ToArray(), out var parsed, out _));

        Assert.True(parsed!.DuplicateKeys);
        Assert.Equal("""{"x": "y"}""", parsed.Root.GetProperty("a").GetRawText());
        Assert.Equal("""{"a":{"x":"y"},"b":2}""", Support.JsonNodes.Of(parsed)!.ToJsonString());
    }
}
