using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>
/// What metrics export costs the guardian, measured side by side in one run: the AOT binary at its shipped defaults
/// with no OTEL_ variable, and with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a sink on 127.0.0.1 that answers every
/// export with 200; with <c>before</c>, also a binary built without export (the commit before it), as a third
/// column. Starts alternate between them so that drift in the machine hits all alike.
/// </summary>
internal static class TelemetryCost
{
    public static int Run(string binary, string? before, int runs, int idleSeconds)
    {
        using var sink = new Sink();
        var root = Path.Combine(Path.GetTempPath(), $"guardian-telemetry-{Environment.ProcessId}");
        var (needsHeal, healthy) = SettingsGenerator.Generate(4096);
        var observer = new Observer();
        var off = new GuardianSubject(binary);
        var on = new GuardianSubject(binary, new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{sink.Port}" });
        var subjects = new List<(string Name, GuardianSubject Subject)> { ("off", off), ("on", on) };
        if (before is not null)
        {
            subjects.Insert(0, ("before", new GuardianSubject(before)));
        }

        try
        {
            var start = subjects.ToDictionary(s => s.Name, _ => new List<double>());
            Console.Error.WriteLine($"telemetry: start to healed, {runs} runs each (+1 warm-up), alternating");
            for (var i = 0; i <= runs; i++)
            {
                foreach (var (name, subject) in subjects)
                {
                    var path = Path.Combine(root, $"{name}-start-{i}", "settings.json");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, needsHeal);
                    var t0 = Stopwatch.GetTimestamp();
                    using var running = subject.Start(path);
                    var seen = observer.WaitForEntry(path, t0, Exposure.MissAfter) ?? throw new InvalidOperationException($"{name}: no heal: {running.Errors()}");
                    if (i > 0)
                    {
                        start[name].Add(Stats.Ms(t0, seen));
                    }
                }
            }

            Console.Error.WriteLine($"telemetry: at rest, {idleSeconds} s, all running at once");
            var resting = subjects.Select(s => Rest(s.Subject, Path.Combine(root, $"{s.Name}-idle", "settings.json"), healthy, observer)).ToList();
            var first = resting.Select(Sample).ToList();
            var exportsBefore = sink.Requests;
            Thread.Sleep(TimeSpan.FromSeconds(idleSeconds));
            var last = resting.Select(Sample).ToList();
            var exports = sink.Requests - exportsBefore;
            resting.ForEach(r => r.Dispose());

            string Row(string metric, Func<int, string> cell) =>
                $"| {metric} | {string.Join(" | ", Enumerable.Range(0, subjects.Count).Select(cell))} |";
            var header = subjects.Select(s => s.Name switch
            {
                "before" => "without export (before)",
                "off" => "OTEL_ unset",
                _ => "endpoint set (local sink)",
            });
            var table = new StringBuilder()
                .AppendLine($"| metric (AOT binary, shipped defaults) | {string.Join(" | ", header)} |")
                .AppendLine($"| --- |{string.Concat(subjects.Select(_ => " ---: |"))}")
                .AppendLine(Row($"start → healed, median of {runs} (ms)", i => $"{Stats.Median(start[subjects[i].Name]):0.0}"))
                .AppendLine(Row("RSS after start (MiB)", i => $"{first[i].Rss:0.0}"))
                .AppendLine(Row("of which anonymous / file-backed (MiB)", i => $"{first[i].Anon:0.0} / {first[i].Rss - first[i].Anon:0.0}"))
                .AppendLine(Row($"RSS / peak after {idleSeconds} s idle (MiB)", i => $"{last[i].Rss:0.0} / {last[i].Hwm:0.0}"))
                .AppendLine(Row("threads after start / after idle", i => $"{first[i].Threads} / {last[i].Threads}"))
                .AppendLine(Row("idle CPU (ms per minute)", i => $"{(last[i].SchedNs - first[i].SchedNs) / 1e6 * 60 / idleSeconds:0.0}"))
                .AppendLine(Row("binary (bytes)", i => $"{new FileInfo(subjects[i].Name == "before" ? before! : binary).Length}"))
                .AppendLine($"exports received while idle: {exports}");
            Console.WriteLine(table);
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static RunningSubject Rest(GuardianSubject subject, string path, byte[] healthy, Observer observer)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, healthy);
        var running = subject.Start(path);
        _ = observer.WaitForEntry(path, Stopwatch.GetTimestamp(), Exposure.MissAfter);
        _ = running.WaitAtRest(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), cpu: true);
        return running;
    }

    private static (double Rss, double Hwm, double Anon, int Threads, long SchedNs) Sample(RunningSubject running)
    {
        var memory = ProcTree.Memory(running.Pid);
        return (memory.RssMiB, memory.HwmMiB, AnonymousMiB(running.Pid), Directory.GetDirectories($"/proc/{running.Pid}/task").Length, ProcTree.SchedNs(running.Pid));
    }

    /// <summary>
    /// Anonymous memory (heap, stacks, rehydrated runtime data): the part that is the process's own. The rest of RSS is
    /// the binary's pages from the page cache, which every guardian started from the same file shares.
    /// </summary>
    private static double AnonymousMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/smaps_rollup").First(l => l.StartsWith("Anonymous:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
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
