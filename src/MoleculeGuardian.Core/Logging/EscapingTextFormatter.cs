using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace MoleculeGuardian.Logging;

/// <summary>
/// The text format, made safe for a terminal and for anyone who reads lines: every control character in a logged
/// value (a file name holding a newline or an escape sequence, an error text) is written as an escape (<c>\n</c>,
/// <c>\x1b</c>), so no value can start a line of its own or drive the terminal. An exception's text keeps its line
/// breaks, with every line after the first indented, so that none of them can pass for an event either. The JSON format
/// has its own (<see cref="EscapingJsonFormatter"/>).
/// </summary>
internal sealed class EscapingTextFormatter : ITextFormatter
{
    private readonly MessageTemplateTextFormatter _inner = new(
        "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffZ} {Level:u3} {Message:lj}{NewLine}", formatProvider: CultureInfo.InvariantCulture);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        var properties = logEvent.Properties.Select(p => new LogEventProperty(p.Key, Escape(p.Value)));
        _inner.Format(new LogEvent(logEvent.Timestamp, logEvent.Level, null, logEvent.MessageTemplate, properties), output);
        if (logEvent.Exception is { } exception)
        {
            foreach (var line in exception.ToString().Split('\n'))
            {
                output.Write("    ");
                output.Write(Escape(line.TrimEnd('\r')));
                output.Write('\n');
            }
        }
    }

    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(NeedsEscape))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            escaped.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when !NeedsEscape(c) => c.ToString(),
                _ when c <= 0xFF => "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture),
                _ => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
            });
        }

        return escaped.ToString();
    }

    /// <summary>Control characters (C0, DEL, C1), line and paragraph separators, and invisible format characters (bidi overrides).</summary>
    public static bool NeedsEscape(char c) => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c)
        is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format;

    private static LogEventPropertyValue Escape(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: string text } => new ScalarValue(Escape(text)),
        SequenceValue sequence => new SequenceValue(sequence.Elements.Select(Escape)),
        StructureValue structure => new StructureValue(structure.Properties.Select(p => new LogEventProperty(p.Name, Escape(p.Value))), structure.TypeTag),
        DictionaryValue dictionary => new DictionaryValue(dictionary.Elements.Select(e => KeyValuePair.Create(e.Key, Escape(e.Value)))),
        _ => value,
    };
}
