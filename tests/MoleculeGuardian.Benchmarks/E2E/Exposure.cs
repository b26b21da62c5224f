using System.Diagnostics;

namespace MoleculeGuardian.Benchmarks.E2E;

internal enum WriteKind
{
    /// <summary>open(O_TRUNC), write, close: the plugin merges' way. The entry is gone from the truncate on.</summary>
    InPlace,

    /// <summary>Write settings.json.tmp, then rename(2) over the file: the runtime's self-heal way (os.replace).</summary>
    RenameReplace,
}

/// <summary>
/// One evicting write and what followed. Times in ms from just before the evicting syscall (the open for an
/// in-place write, the rename for a rename-replace). <see cref="AbsentMs"/> ends at the first read that finds the
/// entry; <see cref="BackForGoodMs"/> at its last return before it stayed for <see cref="Exposure.Hold"/>
/// (they differ only after a relapse). <see cref="WriteMs"/> is the writer's own part: open(O_TRUNC) until write(2)
/// returned (the file is empty meanwhile), or the rename; <see cref="CloseMs"/> the writer's close(2) after it (while
/// the writer still has the file open, the guardian's read lease is busy and its content check decides alone). <see cref="MtimeLagMs"/> is the evicting file's mtime minus
/// the wall clock at the start, which the guardian's own AbsentMs counts from.
/// </summary>
internal sealed record ExposureRun(WriteKind Kind, bool Miss, double AbsentMs, double BackForGoodMs, int Relapses, double WriteMs,
    double CloseMs, double MtimeLagMs, int HealLines, double? GuardianAbsentMs, double? GuardianDurationMs);

/// <summary>Absent time after one evicting write (issue 8, item 1), with the guardian's own AbsentMs beside it (item 5).</summary>
internal static class Exposure
{
    /// <summary>How long the entry must stay once back for the heal to count as done.</summary>
    public static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(20);

    /// <summary>A subject that has not healed after this long missed the run.</summary>
    public static readonly TimeSpan MissAfter = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The runs, and the guardian's log events (by id) over all of them. With <paramref name="reader"/>, a reader
    /// (tail -f, an editor, any uid) holds the file each evicting write leaves at the path from before that write until
    /// the subject has settled after its heal: the file the guardian swaps out is open the whole time.
    /// </summary>
    public static (List<ExposureRun> Runs, Dictionary<int, int> Events) Measure(Subject subject, string dir, byte[] needsHeal, byte[] healthy, int runs,
        Observer observer, Random random, bool reader = false)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "settings.json");
        File.WriteAllBytes(path, healthy);
        using var running = subject.Start(path);
        if (observer.WaitForEntry(path, Stopwatch.GetTimestamp(), MissAfter) is null)
        {
            throw new InvalidOperationException($"{subject.Name} did not start: {running.Errors()}");
        }

        _ = running.WaitAtRest(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), cpu: true);
        var result = new List<ExposureRun>();
        foreach (var kind in new[] { WriteKind.InPlace, WriteKind.RenameReplace })
        {
            for (var i = 0; i < runs; i++)
            {
                result.Add(Once(running, kind, path, needsHeal, observer, random, reader));
            }
        }

        return (result, running.EventCounts());
    }

    private static ExposureRun Once(RunningSubject running, WriteKind kind, string path, byte[] needsHeal, Observer observer, Random random, bool reader)
    {
        var heals = running.HealCount;
        DateTime startUtc;
        Native.WriteTimes write;
        DateTime mtime;
        var held = -1;
        if (kind == WriteKind.InPlace)
        {
            held = reader ? Native.OpenForRead(path) : -1;
            startUtc = DateTime.UtcNow;
            write = Native.WriteInPlace(path, needsHeal, withMtime: true);
            mtime = write.MtimeUtc;
        }
        else
        {
            // The temp file is written the plain way too, right before the rename: its mtime is the file's.
            var temp = path + ".tmp";
            mtime = Native.WriteInPlace(temp, needsHeal, withMtime: true).MtimeUtc;
            held = reader ? Native.OpenForRead(temp) : -1;
            startUtc = DateTime.UtcNow;
            var start = Stopwatch.GetTimestamp();
            Native.Rename(temp, path);
            var renamed = Stopwatch.GetTimestamp();
            write = new Native.WriteTimes(start, renamed, renamed, mtime);
        }

        var seen = observer.WaitForEntry(path, write.Start, MissAfter);
        var (back, relapses) = seen is { } first ? observer.Confirm(path, first, Hold, MissAfter) : (null, 0);

        // The subject's reaction to its own write (a no-op heal, or jq seeing the mv) must pass before the next run;
        // the jitter keeps any periodic work of the subject from phase-locking to the loop.
        _ = running.WaitForHeals(heals + 1, seen is null ? TimeSpan.Zero : MissAfter);
        _ = running.WaitAtRest(TimeSpan.FromMilliseconds(20), MissAfter, TimeSpan.FromMilliseconds(5), cpu: false);
        if (held >= 0)
        {
            Native.Close(held);
        }

        Thread.Sleep(random.Next(20));

        var lines = running.HealsSince(heals);
        return new ExposureRun(kind, seen is null,
            seen is { } s ? Stats.Ms(write.Start, s) : double.NaN,
            back is { } b ? Stats.Ms(write.Start, b) : double.NaN,
            relapses,
            Stats.Ms(write.Start, write.Written),
            Stats.Ms(write.Written, write.End),
            (mtime - startUtc).TotalMilliseconds,
            lines.Count,
            lines.Count > 0 ? lines[0].AbsentMs : null,
            lines.Count > 0 ? lines[0].DurationMs : null);
    }
}
