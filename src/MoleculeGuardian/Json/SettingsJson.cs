using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text.Unicode;
using System.Text;

namespace MoleculeGuardian.Json;

/// <summary>
/// Reads settings.json the way the Python runtime's <c>json.loads</c> does (duplicate keys: last one wins, in the
/// first one's place; a UTF-8 BOM is accepted) and writes it the way <c>json.dumps(indent=2) + "\n"</c> does,
/// so a file that round-trips through both is byte-identical and neither side rewrites the other's output.
/// </summary>
internal static class SettingsJson
{
    /// <summary>Deeper than any real settings file, shallow enough that recursion is safe.</summary>
    public const int MaxDepth = 512;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    // The same grammar as DocumentOptions: the one-pass reader and the error-describing JsonDocument must agree.
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Printable ASCII that Python writes as is: everything from space to tilde but the quote and the backslash.</summary>
    private static readonly SearchValues<char> Verbatim =
        SearchValues.Create(" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

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
            // One pass: the reader validates (grammar, depth) while the tree is built from its tokens.
            var reader = new Utf8JsonReader(span, ReaderOptions);
            reader.Read();
            var root = ReadValue(ref reader, ref duplicateKeys);

            // Throws on anything but whitespace after the root value.
            reader.Read();
            document = root;
            error = "";
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            error = Describe(bytes, out var grammarOk);

            // As before the one-pass reader: a grammar error reports no duplicates; a bad escape, those seen so far.
            duplicateKeys &= grammarOk;
            return false;
        }
    }

    /// <summary>
    /// Why the bytes failed, in the words of a full validation first: a syntax error anywhere wins over a lone
    /// surrogate escape met earlier by the one-pass reader. Only runs for bad files, so it may be slow.
    /// </summary>
    private static string Describe(ReadOnlyMemory<byte> bytes, out bool grammarOk)
    {
        grammarOk = false;
        try
        {
            using (JsonDocument.Parse(bytes, DocumentOptions))
            {
            }
        }
        catch (JsonException ex)
        {
            return $"not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})";
        }

        // The grammar is fine, so a string escape was not valid UTF-16 (a lone surrogate).
        grammarOk = true;
        return "not valid JSON (invalid string escape)";
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader, ref bool duplicateKeys) =>
        reader.TokenType switch
        {
            JsonTokenType.StartObject => ReadObject(ref reader, ref duplicateKeys),
            JsonTokenType.StartArray => ReadArray(ref reader, ref duplicateKeys),
            JsonTokenType.String => JsonValue.Create(reader.GetString()),

            // Backed by an element of its own, a number keeps its exact text (1.0, -0, 1E400) when written back.
            JsonTokenType.Number => JsonValue.Create(JsonElement.ParseValue(ref reader)),
            JsonTokenType.True => JsonValue.Create(true),
            JsonTokenType.False => JsonValue.Create(false),
            _ => null,
        };

    private static JsonObject ReadObject(ref Utf8JsonReader reader, ref bool duplicateKeys)
    {
        var obj = new JsonObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            JsonNode? value;
            try
            {
                value = ReadValue(ref reader, ref duplicateKeys);
            }
            catch (InvalidOperationException)
            {
                // A bad escape inside a repeated key's value: report the repeat, as a check before the value would.
                duplicateKeys |= obj.ContainsKey(name);
                throw;
            }

            if (!obj.TryAdd(name, value))
            {
                // Indexer assignment replaces in place: the first occurrence's position, the last one's value.
                duplicateKeys = true;
                obj[name] = value;
            }
        }

        return obj;
    }

    private static JsonArray ReadArray(ref Utf8JsonReader reader, ref bool duplicateKeys)
    {
        var array = new JsonArray();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            array.Add(ReadValue(ref reader, ref duplicateKeys));
        }

        return array;
    }

    /// <summary>Serializes as Python's <c>json.dumps(document, indent=2) + "\n"</c>, as UTF-8 without BOM.</summary>
    public static byte[] Serialize(JsonNode? document)
    {
        using var output = new Utf8Output();
        Write(output, document, 0);
        output.WriteByte((byte)'\n');
        return output.ToArray();
    }

    private static void Write(Utf8Output output, JsonNode? node, int level)
    {
        switch (node)
        {
            case null:
                output.WriteAscii("null");
                break;
            case JsonObject obj:
                WriteObject(output, obj, level);
                break;
            case JsonArray array:
                WriteArray(output, array, level);
                break;
            default:
                WriteValue(output, node.AsValue());
                break;
        }
    }

    private static void WriteObject(Utf8Output output, JsonObject obj, int level)
    {
        if (obj.Count == 0)
        {
            output.WriteAscii("{}");
            return;
        }

        output.WriteByte((byte)'{');
        for (var i = 0; i < obj.Count; i++)
        {
            var (key, value) = obj.GetAt(i);
            output.WriteNewLine(comma: i > 0, indent: (level + 1) * 2);
            WriteString(output, key);
            output.WriteAscii(": ");
            Write(output, value, level + 1);
        }

        output.WriteNewLine(comma: false, indent: level * 2);
        output.WriteByte((byte)'}');
    }

    private static void WriteArray(Utf8Output output, JsonArray array, int level)
    {
        if (array.Count == 0)
        {
            output.WriteAscii("[]");
            return;
        }

        output.WriteByte((byte)'[');
        for (var i = 0; i < array.Count; i++)
        {
            output.WriteNewLine(comma: i > 0, indent: (level + 1) * 2);
            Write(output, array[i], level + 1);
        }

        output.WriteNewLine(comma: false, indent: level * 2);
        output.WriteByte((byte)']');
    }

    private static void WriteValue(Utf8Output output, JsonValue value)
    {
        // Strings are most values: one cheap check instead of asking the kind, then for the value.
        if (value.TryGetValue<string>(out var text))
        {
            WriteString(output, text);
            return;
        }

        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                // Not stored as a string (a char, Guid or date built in code): GetValue<string> would throw.
                WriteString(output, ReadBackString(value));
                break;
            case JsonValueKind.True:
                output.WriteAscii("true");
                break;
            case JsonValueKind.False:
                output.WriteAscii("false");
                break;
            case JsonValueKind.Number when value.TryGetValue<JsonElement>(out var element):
                // Parsed numbers are backed by their element: its raw bytes are the original text.
                output.WriteBytes(JsonMarshal.GetRawUtf8Value(element));
                break;
            case JsonValueKind.Number:
                output.WriteAscii(value.ToJsonString());
                break;
            default:
                output.WriteAscii("null");
                break;
        }
    }

    private static string ReadBackString(JsonValue value)
    {
        using var text = JsonDocument.Parse(value.ToJsonString());
        return text.RootElement.GetString()!;
    }

    /// <summary>Python's <c>ensure_ascii</c> escaping: printable ASCII stays, everything else is \uXXXX.</summary>
    private static void WriteString(Utf8Output output, string text)
    {
        output.WriteByte((byte)'"');
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            // Settings strings are mostly printable ASCII: copy each run of it in bulk, escape what ends it.
            var run = rest.IndexOfAnyExcept(Verbatim);
            if (run < 0)
            {
                output.WriteAscii(rest);
                break;
            }

            output.WriteAscii(rest[..run]);
            WriteEscape(output, rest[run]);
            rest = rest[(run + 1)..];
        }

        output.WriteByte((byte)'"');
    }

    private static void WriteEscape(Utf8Output output, char c)
    {
        switch (c)
        {
            case '"': output.WriteAscii("\\\""); break;
            case '\\': output.WriteAscii("\\\\"); break;
            case '\n': output.WriteAscii("\\n"); break;
            case '\r': output.WriteAscii("\\r"); break;
            case '\t': output.WriteAscii("\\t"); break;
            case '\b': output.WriteAscii("\\b"); break;
            case '\f': output.WriteAscii("\\f"); break;
            default: output.WriteUnicodeEscape(c); break;
        }
    }

    /// <summary>A growable UTF-8 buffer on pooled arrays: the only allocation that survives is the final copy.</summary>
    private sealed class Utf8Output : IDisposable
    {
        // Stryker disable once Arithmetic : any first size gives the same bytes, Reserve grows the buffer to fit
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        private int _length;

        public void WriteByte(byte b)
        {
            Reserve(1)[0] = b;
            _length++;
        }

        public void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(Reserve(bytes.Length));
            _length += bytes.Length;
        }

        /// <summary>Writes characters known to be ASCII, one byte each.</summary>
        public void WriteAscii(ReadOnlySpan<char> text)
        {
            _ = System.Text.Ascii.FromUtf16(text, Reserve(text.Length), out var written);
            _length += written;
        }

        /// <summary>A newline, preceded by a comma for every item but the first, then the indentation.</summary>
        public void WriteNewLine(bool comma, int indent)
        {
            var span = Reserve(indent + 2);
            var at = 0;
            if (comma)
            {
                span[at++] = (byte)',';
            }

            span[at++] = (byte)'\n';
            span.Slice(at, indent).Fill((byte)' ');
            _length += at + indent;
        }

        /// <summary>\uXXXX with lowercase hex, as Python writes it; astral characters come as two surrogate escapes.</summary>
        public void WriteUnicodeEscape(char c)
        {
            var span = Reserve(6);
            span[0] = (byte)'\\';
            span[1] = (byte)'u';
            for (var i = 0; i < 4; i++)
            {
                // Mutation testing: ">>>" survives and is equivalent: c is a char, never negative, so both shift in zeros.
                span[2 + i] = "0123456789abcdef"u8[(c >> (12 - (4 * i))) & 0xF];
            }

            _length += 6;
        }

        public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        // Stryker disable once Block,Statement : a buffer not returned to the pool costs an allocation later, never a byte of output
        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        /// <summary>Free space for at least <paramref name="size"/> bytes at the end; the caller advances the length.</summary>
        private Span<byte> Reserve(int size)
        {
            // Mutation testing: "<=" survives and is equivalent: the buffer grows one byte sooner, the bytes are the same.
            if (_buffer.Length - _length < size)
            {
                // Mutation testing: "_buffer.Length / 2" survives and is equivalent: _length + size is then always the
                // larger, which fits too; doubling only saves copies.
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + size));
                _buffer.AsSpan(0, _length).CopyTo(bigger);

                // Stryker disable once Statement : a buffer not returned to the pool costs an allocation later, never a byte of output
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }

            return _buffer.AsSpan(_length);
        }
    }
}
