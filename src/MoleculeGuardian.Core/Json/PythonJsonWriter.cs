using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace MoleculeGuardian.Json;

/// <summary>
/// A change to one member of the root object, applied while it is written: some members of that object set, in place
/// where present, after the rest where not. A member that is missing is added last (as Python's <c>setdefault</c> adds
/// it); one that is not an object becomes an object holding only the members set. Every other value is written as it
/// was read.
/// </summary>
/// <param name="Key">The root member to change (<c>mcpServers</c>).</param>
/// <param name="Members">Members to set inside it, in the order new ones are added.</param>
internal sealed record MemberEdit(string Key, IReadOnlyList<KeyValuePair<string, JsonElement>> Members);

/// <summary>The healed file would be larger than the limit given: nothing was (or will be) written.</summary>
internal sealed class OutputTooLargeException(long limit) : Exception($"the healed file would be more than {limit} bytes")
{
    public long Limit { get; } = limit;
}

/// <summary>
/// Writes a JSON value exactly as Python's <c>json.dumps(value, indent=2) + "\n"</c> does: two-space indentation,
/// <c>ensure_ascii</c> escaping, numbers as their original text, repeated keys folded (the first one's place, the last
/// one's value). Two passes over the document: the first only counts the bytes (and stops with
/// <see cref="OutputTooLargeException"/> past the limit, so a small file that indents into a huge one costs nothing),
/// the second writes them into an array of exactly that size: the output is held once, never grown or copied.
/// </summary>
internal static class PythonJsonWriter
{
    /// <summary>Printable ASCII that Python writes as is: everything from space to tilde but the quote and the backslash.</summary>
    private static readonly SearchValues<char> Verbatim =
        SearchValues.Create(" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    /// <summary>The same, as UTF-8 bytes: a string whose raw bytes are all of these is written as it was read.</summary>
    private static readonly SearchValues<byte> VerbatimBytes =
        SearchValues.Create(" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    public static byte[] Write(JsonElement root, bool duplicateKeys, MemberEdit? edit, long maxBytes)
    {
        var counted = new Utf8Output(maxBytes, buffer: null);
        Pass(counted, root, duplicateKeys, edit);
        var output = new Utf8Output(maxBytes, new byte[counted.Length]);
        Pass(output, root, duplicateKeys, edit);
        return output.Buffer!;
    }

    private static void Pass(Utf8Output output, JsonElement root, bool duplicateKeys, MemberEdit? edit)
    {
        var writer = new Writer(output, duplicateKeys);
        if (edit is not null && root.ValueKind == JsonValueKind.Object)
        {
            writer.WriteRoot(root, edit);
        }
        else
        {
            writer.Write(root, 0);
        }

        output.WriteByte((byte)'\n');
    }

    private readonly struct Writer(Utf8Output output, bool duplicateKeys)
    {
        public void Write(JsonElement value, int level)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object when duplicateKeys:
                    WriteMembers(Members(value), level);
                    break;
                case JsonValueKind.Object:
                    WriteObject(value, level);
                    break;
                case JsonValueKind.Array:
                    WriteArray(value, level);
                    break;
                case JsonValueKind.String:
                    var raw = JsonMarshal.GetRawUtf8Value(value);
                    WriteString(raw[1..^1], value);
                    break;
                case JsonValueKind.Number:
                    // The number's own bytes: 1.0, -0 and 1E400 keep their text.
                    output.WriteBytes(JsonMarshal.GetRawUtf8Value(value));
                    break;
                case JsonValueKind.True:
                    output.WriteAscii("true");
                    break;
                case JsonValueKind.False:
                    output.WriteAscii("false");
                    break;
                default:
                    output.WriteAscii("null");
                    break;
            }
        }

        public void WriteRoot(JsonElement root, MemberEdit edit)
        {
            var members = Members(root);
            var at = members.FindIndex(m => m.Key == edit.Key);
            if (at < 0)
            {
                // A missing key goes last, as Python's setdefault adds it.
                members.Add(new(edit.Key, default));
                at = members.Count - 1;
            }

            WriteMembers(members, 0, edit, at);
        }

        /// <summary>An object without repeated keys, straight from the document: no list, no name strings.</summary>
        private void WriteObject(JsonElement value, int level)
        {
            var first = true;
            foreach (var property in value.EnumerateObject())
            {
                output.WriteByte(first ? (byte)'{' : (byte)',');
                output.WriteNewLine(comma: false, indent: (level + 1) * 2);
                WriteName(property);
                output.WriteAscii(": ");
                Write(property.Value, level + 1);
                first = false;
            }

            if (first)
            {
                output.WriteAscii("{}");
                return;
            }

            output.WriteNewLine(comma: false, indent: level * 2);
            output.WriteByte((byte)'}');
        }

        /// <summary>The object's members with repeated keys folded: the first one's place, the last one's value.</summary>
        private List<KeyValuePair<string, JsonElement>> Members(JsonElement value)
        {
            var members = new List<KeyValuePair<string, JsonElement>>();
            // Mutation testing: "true ?" survives and is equivalent: the flag is the whole document's, so with it false there is no repeat to fold.
            Dictionary<string, int>? index = duplicateKeys ? new(StringComparer.Ordinal) : null;
            foreach (var property in value.EnumerateObject())
            {
                if (index is null)
                {
                    members.Add(new(property.Name, property.Value));
                }
                else if (index.TryGetValue(property.Name, out var first))
                {
                    members[first] = new(property.Name, property.Value);
                }
                else
                {
                    index[property.Name] = members.Count;
                    members.Add(new(property.Name, property.Value));
                }
            }

            return members;
        }

        private void WriteMembers(List<KeyValuePair<string, JsonElement>> members, int level, MemberEdit? edit = null, int edited = -1)
        {
            if (members.Count == 0)
            {
                output.WriteAscii("{}");
                return;
            }

            output.WriteByte((byte)'{');
            for (var i = 0; i < members.Count; i++)
            {
                var (key, value) = members[i];
                output.WriteNewLine(comma: i > 0, indent: (level + 1) * 2);
                WriteString(key);
                output.WriteAscii(": ");
                if (i == edited)
                {
                    WriteEdited(value, edit!, level + 1);
                }
                else
                {
                    Write(value, level + 1);
                }
            }

            output.WriteNewLine(comma: false, indent: level * 2);
            output.WriteByte((byte)'}');
        }

        /// <summary>The edited object: its members with the edit's set in place, new ones after the rest.</summary>
        private void WriteEdited(JsonElement value, MemberEdit edit, int level)
        {
            var members = value.ValueKind == JsonValueKind.Object ? Members(value) : [];
            foreach (var (name, entry) in edit.Members)
            {
                var at = members.FindIndex(m => m.Key == name);
                if (at < 0)
                {
                    members.Add(new(name, entry));
                }
                else
                {
                    members[at] = new(name, entry);
                }
            }

            WriteMembers(members, level);
        }

        private void WriteArray(JsonElement array, int level)
        {
            if (array.GetArrayLength() == 0)
            {
                output.WriteAscii("[]");
                return;
            }

            output.WriteByte((byte)'[');
            var first = true;
            foreach (var item in array.EnumerateArray())
            {
                output.WriteNewLine(comma: !first, indent: (level + 1) * 2);
                Write(item, level + 1);
                first = false;
            }

            output.WriteNewLine(comma: false, indent: level * 2);
            output.WriteByte((byte)']');
        }

        private void WriteName(JsonProperty property)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            if (raw.ContainsAnyExcept(VerbatimBytes))
            {
                WriteString(property.Name);
            }
            else
            {
                WriteVerbatim(raw);
            }
        }

        /// <summary>A string as read: its raw bytes when they need no escape (most settings strings), else decoded and escaped.</summary>
        private void WriteString(ReadOnlySpan<byte> raw, JsonElement value)
        {
            if (raw.ContainsAnyExcept(VerbatimBytes))
            {
                WriteString(value.GetString()!);
            }
            else
            {
                WriteVerbatim(raw);
            }
        }

        private void WriteVerbatim(ReadOnlySpan<byte> raw)
        {
            output.WriteByte((byte)'"');
            output.WriteBytes(raw);
            output.WriteByte((byte)'"');
        }

        /// <summary>Python's <c>ensure_ascii</c> escaping: printable ASCII stays, everything else is \uXXXX.</summary>
        private void WriteString(string text)
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
                WriteEscape(rest[run]);
                rest = rest[(run + 1)..];
            }

            output.WriteByte((byte)'"');
        }

        private void WriteEscape(char c)
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
    }

    /// <summary>
    /// Where the bytes go: with no buffer, nowhere (the counting pass: only <see cref="Length"/> moves, and the limit
    /// is checked); with one, into it (the writing pass, sized by the count).
    /// </summary>
    private sealed class Utf8Output(long maxBytes, byte[]? buffer)
    {
        public byte[]? Buffer => buffer;

        public int Length { get; private set; }

        public void WriteByte(byte b)
        {
            var at = Reserve(1);
            if (buffer is not null)
            {
                buffer[at] = b;
            }
        }

        public void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            var at = Reserve(bytes.Length);
            if (buffer is not null)
            {
                bytes.CopyTo(buffer.AsSpan(at));
            }
        }

        /// <summary>Writes characters known to be ASCII, one byte each.</summary>
        public void WriteAscii(ReadOnlySpan<char> text)
        {
            var at = Reserve(text.Length);
            if (buffer is not null)
            {
                _ = System.Text.Ascii.FromUtf16(text, buffer.AsSpan(at), out _);
            }
        }

        /// <summary>A newline, preceded by a comma for every item but the first, then the indentation.</summary>
        public void WriteNewLine(bool comma, int indent)
        {
            var at = Reserve(indent + (comma ? 2 : 1));
            if (buffer is not null)
            {
                if (comma)
                {
                    buffer[at++] = (byte)',';
                }

                buffer[at++] = (byte)'\n';
                buffer.AsSpan(at, indent).Fill((byte)' ');
            }
        }

        /// <summary>\uXXXX with lowercase hex, as Python writes it; astral characters come as two surrogate escapes.</summary>
        public void WriteUnicodeEscape(char c)
        {
            var at = Reserve(6);
            if (buffer is not null)
            {
                buffer[at] = (byte)'\\';
                buffer[at + 1] = (byte)'u';
                // Mutation testing: "i <= 4" survives and is equivalent: a fifth digit lands on the next byte, which the closing quote overwrites.
                for (var i = 0; i < 4; i++)
                {
                    // Mutation testing: ">>>" survives and is equivalent: c is a char, never negative, so both shift in zeros.
                    buffer[at + 2 + i] = "0123456789abcdef"u8[(c >> (12 - (4 * i))) & 0xF];
                }
            }
        }

        /// <summary>Claims the next <paramref name="size"/> bytes and returns where they start; past the limit, refuses.</summary>
        private int Reserve(int size)
        {
            if (Length + (long)size > maxBytes)
            {
                throw new OutputTooLargeException(maxBytes);
            }

            var at = Length;
            Length += size;
            return at;
        }
    }
}
