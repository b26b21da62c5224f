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
/// <c>", "</c>-free separators at line ends, <c>ensure_ascii</c> escaping, numbers as their original text, repeated
/// keys folded (the first one's place, the last one's value). Output goes into pooled buffers and stops with
/// <see cref="OutputTooLargeException"/> at the size limit, so a small file that indents into a huge one costs no more
/// than the limit.
/// </summary>
internal static class PythonJsonWriter
{
    /// <summary>Printable ASCII that Python writes as is: everything from space to tilde but the quote and the backslash.</summary>
    private static readonly SearchValues<char> Verbatim =
        SearchValues.Create(" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    public static byte[] Write(JsonElement root, bool duplicateKeys, MemberEdit? edit, long maxBytes)
    {
        using var output = new Utf8Output(maxBytes);
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
        return output.ToArray();
    }

    private readonly struct Writer(Utf8Output output, bool duplicateKeys)
    {
        public void Write(JsonElement value, int level)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    WriteMembers(Members(value), level);
                    break;
                case JsonValueKind.Array:
                    WriteArray(value, level);
                    break;
                case JsonValueKind.String:
                    WriteString(value.GetString()!);
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

        /// <summary>The object's members with repeated keys folded: the first one's place, the last one's value.</summary>
        private List<KeyValuePair<string, JsonElement>> Members(JsonElement value)
        {
            var members = new List<KeyValuePair<string, JsonElement>>();
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

    /// <summary>A growable UTF-8 buffer on pooled arrays, capped: the only allocation that survives is the final copy.</summary>
    private sealed class Utf8Output(long maxBytes) : IDisposable
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
            // The final newline is written last, so any output that reaches past the limit is refused here.
            if (_length + (long)size > maxBytes)
            {
                throw new OutputTooLargeException(maxBytes);
            }

            // Mutation testing: "<=" survives and is equivalent: the buffer grows one byte sooner, the bytes are the same.
            if (_buffer.Length - _length < size)
            {
                // Doubling, but never past what the limit allows: a capped output does not rent twice the cap.
                var wanted = Math.Max((long)_buffer.Length * 2, _length + (long)size);
                var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Min(wanted, maxBytes), Array.MaxLength));
                _buffer.AsSpan(0, _length).CopyTo(bigger);

                // Stryker disable once Statement : a buffer not returned to the pool costs an allocation later, never a byte of output
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }

            return _buffer.AsSpan(_length);
        }
    }
}
