using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace MoleculeGuardian.Logging;

/// <summary>
/// Formats each event into one UTF-8 buffer of whole lines and hands it to the kernel with a single write(2).
/// Console.Out would not do: its writer pushes text to the descriptor in 256-byte pieces, and in a container the
/// guardian shares stdout with the runtime, whose output then landed inside the guardian's JSON lines.
/// <para>
/// A write of at most PIPE_BUF (4096) bytes to a pipe is atomic: no other writer's bytes can land inside it, and
/// a blocking writer never sees it cut short. A compact event is a few hundred bytes. A larger one (an exception
/// with a deep stack trace) still goes out in one call and, to a pipe, usually whole, but the kernel may split it
/// into pieces between which another process's output can land; the guardian's own events never interleave
/// (one lock), and the journal's stream socket is the guardian's alone.
/// </para>
/// </summary>
internal sealed unsafe partial class FileDescriptorSink(ITextFormatter formatter, int fd) : ILogEventSink, IDisposable
{
    private const int EINTR = 4;
    private const int EAGAIN = 11;
    private const short POLLOUT = 4;

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

            WriteAll(_bytes.AsSpan(0, length));
        }
    }

    public void Dispose() => _text.Dispose();

    /// <summary>
    /// One write(2) for the whole buffer; only a short write (possible above PIPE_BUF), a signal or a descriptor
    /// another process made non-blocking leads to a second call. A write that fails otherwise (EPIPE: nobody
    /// reads any more) drops the event: there is nowhere left to report it, and logging must not crash the heal.
    /// </summary>
    private void WriteAll(ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var offset = 0;
            while (offset < data.Length)
            {
                var written = Write(fd, start + offset, (nuint)(data.Length - offset));
                if (written >= 0)
                {
                    offset += (int)written;
                    continue;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                {
                    continue;
                }

                if (errno == EAGAIN)
                {
                    var wait = new PollFd { Fd = fd, Events = POLLOUT };
                    _ = Poll(&wait, 1, -1);
                    continue;
                }

                return;
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeout);
}
