using System.Text.Json;
using System.Text.Json.Nodes;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Tests.Support;

/// <summary>Parsed settings as nodes, for assertions: repeated keys folded as Python folds them (last value, first place).</summary>
internal static class JsonNodes
{
    public static JsonNode? Of(SettingsDocument document) => Of(document.Root);

    public static JsonNode? Of(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    obj[property.Name] = Of(property.Value);
                }

                return obj;
            case JsonValueKind.Array:
                return new JsonArray([.. element.EnumerateArray().Select(Of)]);
            case JsonValueKind.Null:
                return null;
            default:
                return JsonValue.Create(element.Clone());
        }
    }

    /// <summary>The bytes parsed by the guardian's own reader, as nodes; fails the test when they do not parse.</summary>
    public static JsonNode? Parse(ReadOnlyMemory<byte> bytes)
    {
        Assert.True(SettingsJson.TryParse(bytes, out var document, out var error), error);
        using (document)
        {
            return Of(document!);
        }
    }

    public static JsonNode? Parse(string json) => Parse(System.Text.Encoding.UTF8.GetBytes(json));
}
