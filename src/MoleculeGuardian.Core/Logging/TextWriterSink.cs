using System.Globalization;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace MoleculeGuardian.Logging;

/// <summary>Writes each event whole and flushes it: a line is in the writer before the next event starts.</summary>
internal sealed class TextWriterSink(ITextFormatter formatter, TextWriter output) : ILogEventSink
{
    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        using var buffer = new StringWriter(CultureInfo.InvariantCulture);
        formatter.Format(logEvent, buffer);
        lock (_gate)
        {
            output.Write(buffer.ToString());
            output.Flush();
        }
    }
}
