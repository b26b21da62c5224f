using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace MoleculeGuardian.Json;

/// <summary>
/// Reads settings.json the way the Python runtime's <c>json.loads</c> does (duplicate keys: last one wins, in the
/// first one's place; a UTF-8 BOM is accepted) and writes it the way <c>json.dumps(indent=2) + "\n"</c> does
/// (<see cref="PythonJsonWriter"/>), so a file that round-trips through both is byte-identical and neither side
/// rewrites the other's output. Every read is bounded: at most <see cref="MaxValues"/> tokens, <see cref="MaxDepth"/>
/// levels, and no object per value.
/// </summary>
internal static class SettingsJson
{
    /// <summary>Deeper than any real settings file, shallow enough that recursion is safe.</summary>
    public const int MaxDepth = 512;

    /// <summary>
    /// Tokens (values, keys, brackets) a heal may hold. A real settings file has hundreds; a long permissions list a
    /// few thousand. Each costs a 12-byte row of the pooled document, so the cap bounds that part of a heal at 3 MiB
    /// (4 MiB as the pool rounds it), whatever the file holds.
    /// </summary>
    public const int MaxValues = 262_144;

    /// <summary>What one token costs the parsed document (a <see cref="JsonDocument"/> row).</summary>
    public const int BytesPerValue = 12;

    // Stryker disable once Boolean : the scan, on the same grammar, refuses a trailing comma before the document is built
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    // The same grammar as DocumentOptions: the scan and the document must agree.
    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Parses the bytes, or says in a few words (never quoting content) why they are not a JSON document.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> bytes, out SettingsDocument? document, out string error) =>
        TryParse(bytes, MaxValues, out document, out error, out _);

    /// <summary>
    /// As above, with the token cap given: a document with more tokens is <see cref="ParseFailure.TooManyValues"/>,
    /// found by a scan that allocates nothing per token, before the document is built.
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> bytes, int maxValues, out SettingsDocument? document, out string error, out ParseFailure failure)
    {
        document = null;
        failure = ParseFailure.Invalid;
        if (bytes.Span.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[3..];
        }

        var span = bytes.Span;
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

        var scan = Scan(span, maxValues);
        if (scan.Error is { } invalid)
        {
            error = invalid;
            return false;
        }

        if (scan.Values > maxValues)
        {
            error = $"it has more than {maxValues} JSON tokens, more than a heal may hold";
            failure = ParseFailure.TooManyValues;
            return false;
        }

        // The scan accepted exactly this grammar, so the document cannot fail here; it keeps a reference to the bytes.
        document = new SettingsDocument(JsonDocument.Parse(bytes, DocumentOptions), scan.DuplicateKeys, scan.Values);
        error = "";
        failure = ParseFailure.None;
        return true;
    }

    private readonly record struct ScanResult(int Values, bool DuplicateKeys, string? Error);

    /// <summary>
    /// One pass of the reader: grammar and depth, the token count (stopping once past the cap), repeated keys, and
    /// string escapes that decode to no valid text (a lone surrogate). A syntax error anywhere wins over a bad escape
    /// met before it: the file is then not JSON at all, and its words say where.
    /// </summary>
    private static ScanResult Scan(ReadOnlySpan<byte> json, int maxValues)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        var keys = new List<HashSet<string>?>();
        var values = 0;
        var duplicates = false;
        var badEscape = false;
        try
        {
            while (reader.Read())
            {
                if (++values > maxValues)
                {
                    return new ScanResult(values, duplicates, null);
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        keys.Add(null);
                        break;
                    case JsonTokenType.EndObject:
                        keys.RemoveAt(keys.Count - 1);
                        break;
                    case JsonTokenType.PropertyName when Decode(ref reader) is { } name:
                        var seen = keys[^1] ??= new HashSet<string>(StringComparer.Ordinal);
                        duplicates |= !seen.Add(name);
                        break;
                    case JsonTokenType.PropertyName:
                        badEscape = true;
                        break;
                    case JsonTokenType.String when reader.ValueIsEscaped:
                        badEscape |= Decode(ref reader) is null;
                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            // Stryker disable once Boolean : a scan that ends in an error is not parsed, so its repeated keys are never read
            return new ScanResult(values, false, $"not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
        }

        return new ScanResult(values, duplicates, badEscape ? "not valid JSON (invalid string escape)" : null);
    }

    /// <summary>The string's text, or null when an escape in it is no valid UTF-16 (a lone surrogate).</summary>
    private static string? Decode(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            // Mutation testing: the Block removal of this catch survives and is equivalent: the emptied block returns default, which is this null.
            return null;
        }
    }

    /// <summary>Serializes as Python's <c>json.dumps(document, indent=2) + "\n"</c>, as UTF-8 without BOM.</summary>
    public static byte[] Serialize(SettingsDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return PythonJsonWriter.Write(document.Root, document.DuplicateKeys, edit: null, maxBytes: long.MaxValue);
    }

    /// <summary>The value as Python reads it: each repeated key folded to its last value, in the first one's place.</summary>
    public static JsonElement Folded(JsonElement value)
    {
        using var document = JsonDocument.Parse(PythonJsonWriter.Write(value, duplicateKeys: true, edit: null, maxBytes: long.MaxValue));
        return document.RootElement.Clone();
    }

    /// <summary>A value built in code (a new entry, a fresh document), serialized the same way.</summary>
    // Stryker disable once Boolean : a value built in code has no repeated keys to fold
    public static byte[] Serialize(JsonNode? node) => PythonJsonWriter.Write(ToElement(node), duplicateKeys: false, edit: null, maxBytes: long.MaxValue);

    /// <summary>A value built in code as a standalone element (its own small document, no pooled memory to return).</summary>
    public static JsonElement ToElement(JsonNode? node)
    {
        using var document = JsonDocument.Parse(node?.ToJsonString() ?? "null");
        return document.RootElement.Clone();
    }
}
