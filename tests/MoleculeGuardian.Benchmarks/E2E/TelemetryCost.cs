using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>
/// What metrics export costs the guardian, measured side by side in one run: the AOT binary at its shipped defaults
/// with no OTEL_ variable, and with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a sink on 127.0.0.1 that answers every
/// export with 200; with <c>before</c>, another binary (e.g. the build carrying the exporter, started directly) as a
/// third column. Idle long enough for one export at the default 60 s interval.
/// </summary>
internal static class TelemetryCost
{
    public static int Run(string binary, string? before, int runs, int idleSeconds)
    {
        using var sink = new Sink();
        var columns = new List<SideBySide.Column>
        {
            new("OTEL_ unset", binary, new GuardianSubject(binary)),
            new("endpoint set (local sink)", binary,
                new GuardianSubject(binary, new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{sink.Port}" })),
        };
        if (before is not null)
        {
            columns.Insert(0, new($"{Path.GetFileName(before)}, OTEL_ unset", before, new GuardianSubject(before)));
        }

        var exportsBefore = 0;
        var table = SideBySide.Table(columns, runs, idleSeconds, atRest: () => exportsBefore = sink.Requests);
        Console.WriteLine(table + $"exports received while idle: {sink.Requests - exportsBefore}");
        return 0;
    }

    /// <summary>Takes OTLP/HTTP requests (Content-Length bodies, kept-alive connections) and answers 200.</summary>
    private sealed class Sink : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private int _requests;

        public Sink()
        {
            _listener.Start();
            _ = Task.Run(AcceptAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Requests => Volatile.Read(ref _requests);

        public void Dispose() => _listener.Stop();

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync();
                    _ = Task.Run(() => Serve(client));
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        private void Serve(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var reader = new StreamReader(client.GetStream(), Encoding.Latin1);
                    while (reader.ReadLine() is { Length: > 0 })
                    {
                        var length = 0;
                        for (var line = reader.ReadLine(); !string.IsNullOrEmpty(line); line = reader.ReadLine())
                        {
                            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                            {
                                length = int.Parse(line[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                            }
                        }

                        var body = new char[length];
                        reader.ReadBlock(body, 0, length);
                        Interlocked.Increment(ref _requests);
                        client.GetStream().Write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8);
                    }
                }
                catch (IOException)
                {
                    // The guardian went away.
                }
            }
        }
    }
}
