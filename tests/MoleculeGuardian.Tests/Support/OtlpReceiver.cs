using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MoleculeGuardian.Tests.Support;

/// <summary>
/// A collector stand-in the test owns: a TCP listener on 127.0.0.1 speaking just enough HTTP/1.1 to take OTLP
/// requests. It answers 200, or (<see cref="Hang"/>) reads the request and never answers. Every request is kept
/// whole, and every accepted connection is counted, so a test can also prove that nothing connected at all.
/// </summary>
internal sealed class OtlpReceiver : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private int _connections;

    public sealed record Request(string Method, string Path, string ContentType, byte[] Body);

    private OtlpReceiver(TcpListener listener, bool hang)
    {
        _listener = listener;
        Hang = hang;
        _ = AcceptLoopAsync();
    }

    /// <summary>Listens on a free port of 127.0.0.1 (or on <paramref name="port"/>, to bring a refused endpoint up).</summary>
    public static OtlpReceiver Start(bool hang = false, int port = 0)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        return new OtlpReceiver(listener, hang);
    }

    /// <summary>A port on 127.0.0.1 where nothing listens: connections to it are refused.</summary>
    public static int RefusingPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public bool Hang { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>A connection the kernel has accepted that the accept loop has not taken yet.</summary>
    public bool Pending => _listener.Pending();

    public IReadOnlyList<Request> Requests => [.. _requests];

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _clients.Add(client);
                _ = ServeAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
    }

    /// <summary>Requests on one kept-alive connection, one after another.</summary>
    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var reader = new HttpReader(stream);
            while (await reader.ReadRequestAsync(_stop.Token) is { } request)
            {
                _requests.Enqueue(request);
                if (Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
            // The client went away or the test ended.
        }
    }

    /// <summary>HTTP/1.1 requests with a Content-Length or chunked body.</summary>
    private sealed class HttpReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<Request?> ReadRequestAsync(CancellationToken ct)
        {
            var head = await ReadLineAsync(ct);
            if (string.IsNullOrEmpty(head))
            {
                return null;
            }

            var parts = head.Split(' ');
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (var line = await ReadLineAsync(ct); !string.IsNullOrEmpty(line); line = await ReadLineAsync(ct))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }

            using var body = new MemoryStream();
            if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                for (var size = Convert.ToInt32((await ReadLineAsync(ct))!.Split(';')[0], 16); size > 0; size = Convert.ToInt32((await ReadLineAsync(ct))!.Split(';')[0], 16))
                {
                    await CopyAsync(body, size, ct);
                    await ReadLineAsync(ct);
                }

                await ReadLineAsync(ct);
            }
            else if (headers.TryGetValue("Content-Length", out var length))
            {
                await CopyAsync(body, int.Parse(length, System.Globalization.CultureInfo.InvariantCulture), ct);
            }

            return new Request(parts[0], parts[1], headers.GetValueOrDefault("Content-Type", ""), body.ToArray());
        }

        private async Task<bool> FillAsync(CancellationToken ct)
        {
            if (_start > 0)
            {
                Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
            _end += n;
            return n > 0;
        }

        private async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    var line = Encoding.ASCII.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                    _start = newline + 1;
                    return line;
                }

                if (!await FillAsync(ct))
                {
                    return null;
                }
            }
        }

        private async Task CopyAsync(Stream target, int count, CancellationToken ct)
        {
            while (count > 0)
            {
                if (_start == _end && !await FillAsync(ct))
                {
                    throw new IOException("connection closed inside a body");
                }

                var n = Math.Min(count, _end - _start);
                target.Write(_buffer, _start, n);
                _start += n;
                count -= n;
            }
        }
    }
}
