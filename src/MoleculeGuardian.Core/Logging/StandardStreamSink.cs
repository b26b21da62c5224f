using System.Globalization;
using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace MoleculeGuardian.Logging;

/// <summary>
/// Formats each event into one UTF-8 buffer of whole lines and hands it to the standard stream in one call.
/// Console.Out would not do: its writer pushes text to the descriptor in 256-byte pieces, and in a container the
/// guardian shares stdout with the runtime, whose output then landed inside the guardian's JSON lines.
/// <para>
/// .NET's own stream (<see cref="Console.OpenStandardOutput()"/>) is unbuffered and turns one <c>Write</c> into one
/// write(2), repeated only for a short write or a signal, and waiting in poll(2) on a descriptor another process made
/// non-blocking: the loop this sink once wrote itself against libc. A write of at most PIPE_BUF (4096) bytes to a pipe
/// is atomic: no other writer's bytes can land inside it. A compact event is a few hundred bytes. A larger one (an
/// exception with a deep stack trace) still goes out in one call and, to a pipe, usually whole, but the kernel may split
/// it; the guardian's own events never interleave (one lock), and the journal's stream socket is the guardian's alone.
/// </para>
/// </summary>
internal sealed class StandardStreamSink(ITextFormatter formatter, Stream stream) : ILogEventSink, IDisposable
{
    private readonly Lock _gate = new();
    private readonly StringWriter _text = new(CultureInfo.InvariantCulture);
    private byte[] _bytes = new byte[4096];

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            var text = _text.GetStringBuilder().Clear();
            formatter.Format(logEvent, _text);
            var length = 0;
            foreach (var chunk in text.GetChunks())
            {
                var needed = length + Encoding.UTF8.GetMaxByteCount(chunk.Length);
                if (needed > _bytes.Length)
                {
                    Array.Resize(ref _bytes, Math.Max(needed, _bytes.Length * 2));
                }

                length += Encoding.UTF8.GetBytes(chunk.Span, _bytes.AsSpan(length));
            }

            try
            {
                stream.Write(_bytes, 0, length);
            }
            catch (IOException)
            {
                // Nobody reads any more (EPIPE): there is nowhere left to report it, and logging must not crash the heal.
            }
        }
    }

    public void Dispose()
    {
        _text.Dispose();
        stream.Dispose();
    }
}
