using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Tests.Json;

/// <summary>
/// Values built in code rather than parsed (a configured spec, a test's document): numbers without an original text,
/// strings stored as something else. They must still come out as Python would write them.
/// </summary>
public sealed class SettingsJsonBuiltValuesTests
{
    private static string Text(JsonNode? node) => Encoding.ASCII.GetString(SettingsJson.Serialize(node));

    [Fact]
    public void Serialize_NumbersBuiltInCode_WrittenAsTheirShortestText()
    {
        Assert.Equal("[\n  42,\n  -7,\n  1.5,\n  0\n]\n", Text(new JsonArray(42, -7L, 1.5, 0m)));
    }

    [Fact]
    public void Serialize_StringKindValuesNotStoredAsStrings_WrittenAsEscapedStrings()
    {
        var document = new JsonObject
        {
            ["char"] = '\u00e9',
            ["guid"] = Guid.Empty,
            ["date"] = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
        };

        Assert.Equal(
            "{\n  \"char\": \"\\u00e9\",\n  \"guid\": \"00000000-0000-0000-0000-000000000000\",\n  \"date\": \"2026-01-02T03:04:05Z\"\n}\n",
            Text(document));
    }

    [Fact]
    public void Serialize_StringBackedByAnElement_WrittenAsAString()
    {
        using var parsed = JsonDocument.Parse("\"a\\u00e9\"");

        Assert.Equal("\"a\\u00e9\"\n", Text(JsonValue.Create(parsed.RootElement)));
    }
}
