using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace MoleculeGuardian.Json;

/// <summary>
/// Reads settings.json the way the Python runtime's <c>json.loads</c> does (duplicate keys: last one wins, in the
/// first one's place; a UTF-8 BOM is accepted) and writes it the way <c>json.dumps(indent=2) + "\n"</c> does,
/// so a file that round-trips through both is byte-identical and neither side rewrites the other's output.
/// </summary>
public static class SettingsJson
{
    /// <summary>Deeper than any real settings file, shallow enough that recursion is safe.</summary>
    public const int MaxDepth = 512;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Parses the bytes, or says in a few words (never quoting content) why they are not a JSON document.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> bytes, out JsonNode? document, out string error) =>
        TryParse(bytes, out document, out error, out _);

    /// <summary>As above; <paramref name="duplicateKeys"/> says that values were dropped because a later key repeated them.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> bytes, out JsonNode? document, out string error, out bool duplicateKeys)
    {
        document = null;
        duplicateKeys = false;
        var span = bytes.Span;
        if (span.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[3..];
            span = bytes.Span;
        }

        if (span.IsEmpty || span.IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            error = "empty";
            return false;
        }

        if (!Utf8.IsValid(span))
        {
            error = "not valid UTF-8";
            return false;
        }

        try
        {
            // The clone owns one copy of the bytes; number values keep pointing into it so they keep their text.
            JsonElement root;
            using (var parsed = JsonDocument.Parse(bytes, DocumentOptions))
            {
                root = parsed.RootElement.Clone();
            }

            document = Build(root, ref duplicateKeys);
            error = "";
            return true;
        }
        catch (JsonException ex)
        {
            error = $"not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})";
            return false;
        }
        catch (InvalidOperationException)
        {
            // A string escape that is not valid UTF-16 (a lone surrogate).
            error = "not valid JSON (invalid string escape)";
            return false;
        }
    }

    private static JsonNode? Build(JsonElement element, ref bool duplicateKeys)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    // Indexer assignment replaces in place: the first occurrence's position, the last one's value.
                    duplicateKeys |= obj.ContainsKey(property.Name);
                    obj[property.Name] = Build(property.Value, ref duplicateKeys);
                }

                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(Build(item, ref duplicateKeys));
                }

                return array;
            case JsonValueKind.String:
                return JsonValue.Create(element.GetString());
            case JsonValueKind.Number:
                return JsonValue.Create(element);
            case JsonValueKind.True:
                return JsonValue.Create(true);
            case JsonValueKind.False:
                return JsonValue.Create(false);
            default:
                return null;
        }
    }

    /// <summary>Serializes as Python's <c>json.dumps(document, indent=2) + "\n"</c>, as UTF-8 without BOM.</summary>
    public static byte[] Serialize(JsonNode? document)
    {
        var builder = new StringBuilder(4096);
        Write(builder, document, 0);
        builder.Append('\n');
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static void Write(StringBuilder sb, JsonNode? node, int level)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                WriteObject(sb, obj, level);
                break;
            case JsonArray array:
                WriteArray(sb, array, level);
                break;
            default:
                WriteValue(sb, node.AsValue());
                break;
        }
    }

    private static void WriteObject(StringBuilder sb, JsonObject obj, int level)
    {
        if (obj.Count == 0)
        {
            sb.Append("{}");
            return;
        }

        sb.Append('{');
        var first = true;
        foreach (var (key, value) in obj)
        {
            sb.Append(first ? "\n" : ",\n").Append(' ', (level + 1) * 2);
            first = false;
            WriteString(sb, key);
            sb.Append(": ");
            Write(sb, value, level + 1);
        }

        sb.Append('\n').Append(' ', level * 2).Append('}');
    }

    private static void WriteArray(StringBuilder sb, JsonArray array, int level)
    {
        if (array.Count == 0)
        {
            sb.Append("[]");
            return;
        }

        sb.Append('[');
        for (var i = 0; i < array.Count; i++)
        {
            sb.Append(i == 0 ? "\n" : ",\n").Append(' ', (level + 1) * 2);
            Write(sb, array[i], level + 1);
        }

        sb.Append('\n').Append(' ', level * 2).Append(']');
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(sb, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            case JsonValueKind.Number:
                // Parsed numbers are backed by their element: ToJsonString gives the original text.
                sb.Append(value.ToJsonString());
                break;
            default:
                sb.Append("null");
                break;
        }
    }

    /// <summary>Python's <c>ensure_ascii</c> escaping: printable ASCII stays, everything else is \uXXXX.</summary>
    private static void WriteString(StringBuilder sb, string text)
    {
        sb.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case >= ' ' and <= '~': sb.Append(c); break;
                default: sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)); break;
            }
        }

        sb.Append('"');
    }
}
