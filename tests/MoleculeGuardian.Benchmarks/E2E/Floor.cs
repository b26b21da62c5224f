using System.Diagnostics;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>
/// The physical floor under any event-driven healer on this directory and disk (issue 8, item 6), in ms:
/// inotify delivery, one read of the file, one durable write. Their sum is what a heal cannot go below; the
/// directory fsync comes after the rename (the file already holds the entry), so it is not in the sum, but it is in
/// the guardian's AbsentMs.
/// </summary>
internal sealed record FloorResult(List<double> DeliveryMs, List<double> DeliveryFromEndMs, List<double> ReadMs, List<double> DurableWriteMs, List<double> DirectoryFsyncMs);

internal static class Floor
{
    public static FloorResult Measure(string dir, byte[] content, int runs, Random random)
    {
        Directory.CreateDirectory(dir);
        var (delivery, fromEnd) = Delivery(dir, content, runs, random);
        var read = Read(dir, content, runs);
        var (write, dirSync) = DurableWrite(dir, content, runs);
        return new FloorResult(delivery, fromEnd, read, write, dirSync);
    }

    /// <summary>
    /// A raw inotify watch on the directory (IN_MODIFY, which is what .NET's watcher turns LastWrite into), read by a
    /// thread blocked in read(2); a write to a file in it. From the start of the write to read(2) returning the event:
    /// the event is queued inside the write, so the reader, woken on the other core, often returns before the writer
    /// does, and "from the end of the write" (also kept) comes out at or below zero.
    /// </summary>
    private static (List<double>, List<double>) Delivery(string dir, byte[] content, int runs, Random random)
    {
        var path = Path.Combine(dir, "delivery.json");
        File.WriteAllBytes(path, content);
        var inotify = Native.InotifyWatch(dir, Native.InModify);
        var delivered = new SemaphoreSlim(0);
        long at = 0;
        var stop = false;
        var reader = new Thread(() =>
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                _ = Native.ReadEvents(inotify, buffer);
                Volatile.Write(ref at, Stopwatch.GetTimestamp());
                if (Volatile.Read(ref stop))
                {
                    return;
                }

                delivered.Release();
            }
        }) { Name = "inotify-floor", IsBackground = true };
        reader.Start();

        var fromEnd = new List<double>();
        var fromStart = new List<double>();
        var fd = Native.OpenForWrite(path);
        try
        {
            for (var i = 0; i <= runs; i++)
            {
                // Long enough for the reader to be blocked in read(2) again, jittered.
                Thread.Sleep(1 + random.Next(3));
                var start = Stopwatch.GetTimestamp();
                Native.WriteAll(fd, content, path);
                var end = Stopwatch.GetTimestamp();
                if (!delivered.Wait(TimeSpan.FromSeconds(10)))
                {
                    throw new InvalidOperationException("no inotify event within 10 s of a write");
                }

                if (i > 0)
                {
                    fromEnd.Add(Stats.Ms(end, Volatile.Read(ref at)));
                    fromStart.Add(Stats.Ms(start, Volatile.Read(ref at)));
                }
            }

            Volatile.Write(ref stop, true);
            Native.WriteAll(fd, content, path);
            reader.Join();
        }
        finally
        {
            Native.Close(fd);
            Native.Close(inotify);
        }

        return (fromStart, fromEnd);
    }

    /// <summary>open, read to the end, close: what a heal does first (without the parse).</summary>
    private static List<double> Read(string dir, byte[] content, int runs)
    {
        var path = Path.Combine(dir, "read.json");
        File.WriteAllBytes(path, content);
        var buffer = new byte[4 * 1024 * 1024];
        var result = new List<double>();
        for (var i = 0; i <= runs; i++)
        {
            var start = Stopwatch.GetTimestamp();
            _ = Native.ReadFile(path, buffer);
            if (i > 0)
            {
                result.Add(Stats.Ms(start, Stopwatch.GetTimestamp()));
            }
        }

        return result;
    }

    /// <summary>Temp file in the same directory (O_EXCL), write, fsync, close, rename over the target: as the guardian does.</summary>
    private static (List<double>, List<double>) DurableWrite(string dir, byte[] content, int runs)
    {
        var target = Path.Combine(dir, "durable.json");
        var temp = target + ".tmp";
        File.WriteAllBytes(target, content);
        var writes = new List<double>();
        var dirSyncs = new List<double>();
        var dirFd = Native.OpenDirectory(dir);
        try
        {
            for (var i = 0; i <= runs; i++)
            {
                var start = Stopwatch.GetTimestamp();
                _ = Native.WriteNew(temp, content, fsync: true);
                Native.Rename(temp, target);
                var renamed = Stopwatch.GetTimestamp();
                Native.Fsync(dirFd, dir);
                if (i > 0)
                {
                    writes.Add(Stats.Ms(start, renamed));
                    dirSyncs.Add(Stats.Ms(renamed, Stopwatch.GetTimestamp()));
                }
            }
        }
        finally
        {
            Native.Close(dirFd);
        }

        return (writes, dirSyncs);
    }
}
