using System.Diagnostics;
using System.Text.Json;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>What one read of settings.json shows, judged as the runtime's heartbeat judges it.</summary>
internal enum Sight
{
    /// <summary>Parses, and <c>mcpServers</c> is an object holding <c>molecule-platform</c>.</summary>
    Present,

    /// <summary>Parses, but the key is not there (or the file does not exist).</summary>
    Missing,

    /// <summary>Empty or not JSON: a writer mid-write. The heartbeat counts it as missing.</summary>
    Torn,
}

/// <summary>
/// Reads the file the way the heartbeat does, by polling: open, read, close, then parse. Polling rather than a
/// watch keeps the observer independent of inotify (the mechanism under test): it cannot miss or coalesce an event,
/// and its error is bounded by its poll period, which it measures. One instance per thread (it owns a buffer).
/// </summary>
internal sealed class Observer
{
    /// <summary>Sleep between polls; with timer slack at 1 ns a poll period comes out at ~0.1-0.2 ms.</summary>
    private const int PollSleepMicros = 50;

    private readonly byte[] _buffer = new byte[4 * 1024 * 1024];
    private long _polls;
    private long _pollTicks;

    /// <summary>Mean time between two polls while waiting, in µs.</summary>
    public double PollPeriodMicros => _polls == 0 ? double.NaN : _pollTicks * 1e6 / Stopwatch.Frequency / _polls;

    public Sight Look(string path)
    {
        var length = Native.ReadFile(path, _buffer);
        return length < 0 ? Sight.Missing : Judge(_buffer.AsSpan(0, length));
    }

    /// <summary>As the heartbeat: <c>"molecule-platform" in json.load(f).get("mcpServers", {})</c>, a parse error being a miss.</summary>
    public static Sight Judge(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return Sight.Torn;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read())
            {
                return Sight.Torn;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return reader.Read() ? Sight.Torn : Sight.Missing;
            }

            var found = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isServers = reader.ValueTextEquals("mcpServers"u8);
                reader.Read();
                if (isServers)
                {
                    // Duplicate keys: the last one wins, as in Python.
                    found = reader.TokenType == JsonTokenType.StartObject && HoldsProtected(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }

            // Anything after the root object is a parse error; Read throws on it.
            return reader.Read() ? Sight.Torn : found ? Sight.Present : Sight.Missing;
        }
        catch (JsonException)
        {
            return Sight.Torn;
        }
    }

    private static bool HoldsProtected(ref Utf8JsonReader reader)
    {
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            found |= reader.ValueTextEquals("molecule-platform"u8);
            reader.Read();
            reader.Skip();
        }

        return found;
    }

    /// <summary>
    /// Polls until the file holds the entry; returns the Stopwatch timestamp just after that read, or null when
    /// <paramref name="timeout"/> passed since <paramref name="since"/>.
    /// </summary>
    public long? WaitForEntry(string path, long since, TimeSpan timeout)
    {
        var last = Stopwatch.GetTimestamp();
        while (true)
        {
            var sight = Look(path);
            var now = Stopwatch.GetTimestamp();
            if (sight == Sight.Present)
            {
                return now;
            }

            if (Stopwatch.GetElapsedTime(since, now) > timeout)
            {
                return null;
            }

            Native.SleepMicroseconds(PollSleepMicros);
            now = Stopwatch.GetTimestamp();
            _polls++;
            _pollTicks += now - last;
            last = now;
        }
    }

    /// <summary>
    /// Keeps polling after the entry was first seen, until it has been there without a break for
    /// <paramref name="hold"/>: a heal that is undone again (an exchange put back) shows as a relapse. Returns the
    /// timestamp of the last return of the entry (null if it never stayed) and the number of relapses.
    /// </summary>
    public (long? BackForGood, int Relapses) Confirm(string path, long firstSeen, TimeSpan hold, TimeSpan timeout)
    {
        var back = firstSeen;
        var present = true;
        var relapses = 0;
        var last = Stopwatch.GetTimestamp();
        while (true)
        {
            var sight = Look(path);
            var now = Stopwatch.GetTimestamp();
            if (sight == Sight.Present && !present)
            {
                back = now;
            }
            else if (sight != Sight.Present && present)
            {
                relapses++;
            }

            present = sight == Sight.Present;
            if (present && Stopwatch.GetElapsedTime(back, now) >= hold)
            {
                return (back, relapses);
            }

            if (Stopwatch.GetElapsedTime(firstSeen, now) > timeout)
            {
                return (null, relapses);
            }

            Native.SleepMicroseconds(PollSleepMicros);
            now = Stopwatch.GetTimestamp();
            _polls++;
            _pollTicks += now - last;
            last = now;
        }
    }

    /// <summary>
    /// Polls on this thread until <paramref name="stop"/> is set and records every change of <see cref="Sight"/>
    /// (timestamp, sight): the burst's fine-grained view, beside the heartbeat's 2 ms one.
    /// </summary>
    public List<(long At, Sight Sight)> Record(string path, Func<bool> stop)
    {
        var changes = new List<(long, Sight)>();
        Sight? previous = null;
        var last = Stopwatch.GetTimestamp();
        while (!stop())
        {
            var sight = Look(path);
            var now = Stopwatch.GetTimestamp();
            if (sight != previous)
            {
                changes.Add((now, sight));
                previous = sight;
            }

            Native.SleepMicroseconds(PollSleepMicros);
            now = Stopwatch.GetTimestamp();
            _polls++;
            _pollTicks += now - last;
            last = now;
        }

        return changes;
    }
}
