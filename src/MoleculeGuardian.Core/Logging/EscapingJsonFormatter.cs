using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace MoleculeGuardian.Logging;

/// <summary>
/// CLEF, with every character a terminal could act on written as a JSON escape. The compact formatter escapes C0
/// controls but writes DEL, C1 controls (U+009B is a CSI to some terminals), line separators and bidi overrides as
/// they are; inside a JSON string <c>\uXXXX</c> means the same character, so readers of the JSON see no difference.
/// Outside strings CLEF is ASCII, and the line's own final newline is the only raw control character left.
/// </summary>
internal sealed class EscapingJsonFormatter : ITextFormatter
{
    private readonly CompactJsonFormatter _inner = new();

    // One per thread: a sink may format outside its lock.
    [ThreadStatic]
    private static StringWriter? _buffer;

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);

        var buffer = _buffer ??= new StringWriter(CultureInfo.InvariantCulture);
        var text = buffer.GetStringBuilder().Clear();
        _inner.Format(logEvent, buffer);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\n' && EscapingTextFormatter.NeedsEscape(c))
            {
                output.Write("\\u");
                output.Write(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                output.Write(c);
            }
        }
    }
}
