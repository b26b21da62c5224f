using System.Text;
using System.Text.Json.Nodes;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Tests.Json;

/// <summary>
/// The serializer writes into a 16 KiB pooled buffer that grows as needed: a single token bigger than the whole
/// buffer (a long string, key or number) must still come out whole. Expected texts are written out here, not
/// derived from the serializer.
/// </summary>
public sealed class SettingsJsonBufferTests
{
    private const int Big = 40_000;

    [Fact]
    public void Serialize_StringLongerThanTheBuffer_WrittenWhole()
    {
        var value = new string('v', Big);

        var text = Encoding.ASCII.GetString(SettingsJson.Serialize(new JsonObject { ["k"] = value }));

        Assert.Equal("{\n  \"k\": \"" + value + "\"\n}\n", text);
    }

    [Fact]
    public void Serialize_KeyLongerThanTheBuffer_WrittenWhole()
    {
        var key = new string('k', Big);

        var text = Encoding.ASCII.GetString(SettingsJson.Serialize(new JsonObject { [key] = 1, ["after"] = true }));

        Assert.Equal("{\n  \"" + key + "\": 1,\n  \"after\": true\n}\n", text);
    }

    [Fact]
    public void Serialize_NumberLongerThanTheBuffer_KeepsEveryDigit()
    {
        var digits = "9" + new string('0', Big);
        Assert.True(SettingsJson.TryParse(Encoding.ASCII.GetBytes("[" + digits + "]"), out var parsed, out var error), error);

        var text = Encoding.ASCII.GetString(SettingsJson.Serialize(parsed!));

        Assert.Equal("[\n  " + digits + "\n]\n", text);
    }

    [Fact]
    public void Serialize_LongTokenAfterTheBufferIsHalfFull_WrittenWhole()
    {
        // The buffer doubles when a token fits in twice its size and grows to fit when it does not: both, in one document.
        var first = new string('a', 10_000);
        var second = new string('b', 30_000);

        var text = Encoding.ASCII.GetString(SettingsJson.Serialize(new JsonArray(first, second)));

        Assert.Equal("[\n  \"" + first + "\",\n  \"" + second + "\"\n]\n", text);
    }

    [Fact]
    public void Serialize_LongStringOfEscapes_EachEscapeWhole()
    {
        var value = new string('\u00e9', 5_000) + "\n";

        var text = Encoding.ASCII.GetString(SettingsJson.Serialize(new JsonObject { ["k"] = value }));

        Assert.Equal("{\n  \"k\": \"" + string.Concat(Enumerable.Repeat("\\u00e9", 5_000)) + "\\n\"\n}\n", text);
    }

    [Fact]
    public void Serialize_EscapeAtEveryOffsetAroundTheFirstBufferEnd_EachEscapeWhole()
    {
        // An escape is reserved six bytes at a time: it must never run past the end of the buffer, wherever it falls.
        for (var length = (16 * 1024) - 12; length <= (16 * 1024) + 4; length++)
        {
            var value = new string('a', length) + "\u00e9\t";

            var text = Encoding.ASCII.GetString(SettingsJson.Serialize(JsonValue.Create(value)));

            Assert.Equal("\"" + new string('a', length) + "\\u00e9\\t\"\n", text);
        }
    }
}
