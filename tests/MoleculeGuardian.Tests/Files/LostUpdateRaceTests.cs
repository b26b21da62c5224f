using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Tests.Support;
using Xunit.Abstractions;

namespace MoleculeGuardian.Tests.Files;

/// <summary>
/// The lost-update race from the issue: a writer that keeps rewriting the file with its own, growing view (half the
/// time by rename-replace, half the time by the runtime's truncate-then-write) while the guardian heals at the same
/// moment. A heal built on a stale read would put back a file without the writer's newest key.
/// </summary>
public sealed class LostUpdateRaceTests : IDisposable
{
    private const int Rounds = 1000;
    private static readonly TimeSpan BarrierTimeout = TimeSpan.FromSeconds(30);
    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _temp = new();

    public LostUpdateRaceTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task HealAsync_WriterRacingEveryRound_NeverLosesAWriterKey()
    {
        var path = _temp.SettingsPath();
        var log = new TestLog();
        var healer = TestHealers.Healer(TestHealers.Options(path), log: new Logger<Healer>(log));
        var random = new Random(20260426);

        // Per round: how far into the heal the writer starts, as a fraction of a typical heal (< 0: the heal starts late).
        var offsets = Enumerable.Range(0, Rounds).Select(_ => (random.NextDouble() * 1.4) - 0.2).ToArray();
        var typicalHealTicks = 0L;
        var writerKeys = 0;
        var barrier = new Barrier(2);
        Exception? writerError = null;

        var writer = new Thread(() =>
        {
            try
            {
                var view = new List<string>();
                for (var round = 0; round < Rounds; round++)
                {
                    // Phase 1, alone: the writer drops the protected entry, so the heal below has a write to make.
                    Sync(barrier);
                    view.Add($"writer-{round}a");
                    Write(path, WriterView(view), renameReplace: round % 2 == 0);
                    Volatile.Write(ref writerKeys, view.Count);

                    // Phase 2, racing: the writer adds a key and rewrites while the heal reads, builds and replaces.
                    Sync(barrier);
                    SpinFor((long)(Math.Max(0, offsets[round]) * Volatile.Read(ref typicalHealTicks)));
                    view.Add($"writer-{round}b");
                    Write(path, WriterView(view), renameReplace: round / 2 % 2 == 0);
                    Volatile.Write(ref writerKeys, view.Count);
                    Sync(barrier);
                }
            }
#pragma warning disable CA1031 // Surfaced by the test thread below.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                writerError = ex;
                barrier.RemoveParticipant();
            }
        })
        { IsBackground = true, Name = "racing writer" };

        var statuses = new Dictionary<HealStatus, int>();
        var roundsWithConflict = 0;
        var lost = new List<string>();
        var total = Stopwatch.StartNew();
        writer.Start();
        await Task.Run(() =>
        {
            for (var round = 0; round < Rounds && writerError is null; round++)
            {
                var conflictsBefore = log.Count("WriteConflict");
                Sync(barrier);
                Sync(barrier);
                SpinFor((long)(Math.Max(0, -offsets[round]) * Volatile.Read(ref typicalHealTicks)));
                var started = Stopwatch.GetTimestamp();
                var report = healer.HealAsync(HealTrigger.Watch, dryRun: false, CancellationToken.None).GetAwaiter().GetResult();
                var took = Stopwatch.GetTimestamp() - started;
                Volatile.Write(ref typicalHealTicks, typicalHealTicks == 0 ? took : ((typicalHealTicks * 7) + took) / 8);
                Sync(barrier);

                statuses[report.Status] = statuses.GetValueOrDefault(report.Status) + 1;
                if (log.Count("WriteConflict") > conflictsBefore)
                {
                    roundsWithConflict++;
                }

                // Both finished: every key the writer wrote so far must be on disk, before and after a final heal.
                var missing = MissingWriterKeys(path, Volatile.Read(ref writerKeys));
                if (missing.Count > 0)
                {
                    lost.Add($"round {round} ({(round / 2 % 2 == 0 ? "rename-replace" : "in-place")} racing writer, heal {report.Status}): lost {string.Join(",", missing)}");
                }

                var final = healer.HealAsync(HealTrigger.Periodic, dryRun: false, CancellationToken.None).GetAwaiter().GetResult();
                Assert.True(final.Succeeded, $"round {round}: final heal {final.Status} {final.Detail}");
                Assert.Empty(MissingWriterKeys(path, Volatile.Read(ref writerKeys)));
                Assert.True(HasProtectedEntry(path), $"round {round}: the protected entry is missing after the final heal");
            }
        });

        Assert.True(writer.Join(BarrierTimeout), "the writer thread did not finish");
        Assert.Null(writerError);
        _output.WriteLine($"{Rounds} rounds in {total.Elapsed.TotalSeconds:0.0} s; racing heal outcomes: "
            + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}")));
        _output.WriteLine($"rounds whose racing heal hit at least one Conflict: {roundsWithConflict}; store conflicts in total: {log.Count("WriteConflict")}");
        _output.WriteLine($"typical heal: {typicalHealTicks * 1000.0 / Stopwatch.Frequency:0.00} ms; torn reads waited out: {log.Count("TornRead")}");
        Assert.True(lost.Count == 0, $"{lost.Count} heals were built on a stale read:\n" + string.Join("\n", lost.Take(20)));
        Assert.Equal(2 * Rounds, writerKeys);
        Assert.Empty(TestPosix.GuardianTemps(path));
    }

    private static void Write(string path, byte[] bytes, bool renameReplace)
    {
        if (renameReplace)
        {
            File.WriteAllBytes(path + ".tmp", bytes);
            File.Move(path + ".tmp", path, overwrite: true);
        }
        else
        {
            WriteInPlace(path, bytes);
        }
    }

    private static byte[] WriterView(List<string> keys)
    {
        var json = new StringBuilder("{\n  \"hooks\": {},\n  \"mcpServers\": {");
        for (var i = 0; i < keys.Count; i++)
        {
            json.Append(i == 0 ? "\n" : ",\n").Append("    \"").Append(keys[i]).Append("\": {\n      \"command\": \"").Append(keys[i]).Append("\"\n    }");
        }

        return Encoding.UTF8.GetBytes(json.Append("\n  }\n}\n").ToString());
    }

    /// <summary>
    /// What the Python runtime does (<c>open(path, "w")</c>): open with O_TRUNC, then write in buffered chunks; no temp,
    /// no fsync. Not FileStream: .NET opens first and ftruncates later, a different (and, against any rename-based
    /// replace, unwinnable) race.
    /// </summary>
    private static void WriteInPlace(string path, byte[] bytes)
    {
        using var handle = TestPosix.OpenTruncate(path);
        for (var offset = 0; offset < bytes.Length; offset += 8192)
        {
            RandomAccess.Write(handle, bytes.AsSpan(offset, Math.Min(8192, bytes.Length - offset)), offset);
        }
    }

    private static List<string> MissingWriterKeys(string path, int written)
    {
        var servers = JsonNode.Parse(File.ReadAllBytes(path))?["mcpServers"]?.AsObject();
        return Enumerable.Range(0, written).Select(i => $"writer-{i / 2}{(i % 2 == 0 ? 'a' : 'b')}").Where(k => servers is null || !servers.ContainsKey(k)).ToList();
    }

    private static bool HasProtectedEntry(string path) =>
        JsonNode.Parse(File.ReadAllBytes(path))?["mcpServers"]?.AsObject().ContainsKey("molecule-platform") == true;

    private static void Sync(Barrier barrier)
    {
        if (!barrier.SignalAndWait(BarrierTimeout))
        {
            throw new TimeoutException("the other side of the race did not arrive");
        }
    }

    /// <summary>Busy-waits (no sleep: the point is to land inside a heal that takes about a millisecond).</summary>
    private static void SpinFor(long ticks)
    {
        var until = Stopwatch.GetTimestamp() + ticks;
        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(20);
        }
    }
}
