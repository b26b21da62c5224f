namespace MoleculeGuardian.Hosting;

/// <summary>
/// Gives memory back after a burst. Every change to the file costs a read and a parse, and the GC lets gen0 grow to a
/// budget sized from the CPU's cache (tens of MiB on a server CPU) before it collects, so a guardian that sat through a
/// plugin burst would keep twice its idle memory for good. When the heal loop goes idle and at least
/// <see cref="DefaultThreshold"/> bytes were allocated since the last trim, one aggressive collection hands the free
/// memory back to the OS: about a millisecond for this heap, once every few dozen reads.
/// </summary>
internal sealed class MemoryTrimmer
{
    public const long DefaultThreshold = 1 << 20;

    private readonly Func<long> _allocatedBytes;
    private readonly Action _collect;
    private readonly long _threshold;
    private long _trimmedAt;

    public MemoryTrimmer(Func<long> allocatedBytes, Action collect, long threshold)
    {
        ArgumentNullException.ThrowIfNull(allocatedBytes);
        _allocatedBytes = allocatedBytes;
        _collect = collect;
        _threshold = threshold;

        // What the start allocated is not a burst's garbage: counting from here keeps a collection off the path to READY.
        _trimmedAt = allocatedBytes();
    }

    public static MemoryTrimmer ForThisProcess() => new(
        () => GC.GetTotalAllocatedBytes(),
        () => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true),
        DefaultThreshold);

    /// <summary>
    /// The host is built: what building it allocated is garbage now, a few MiB the GC would otherwise keep for as long
    /// as the guardian idles. One collection gives it back; the caller runs it before anything pins memory.
    /// </summary>
    public void AfterStart()
    {
        _trimmedAt = _allocatedBytes();
        _collect();
    }

    /// <summary>The heal loop has nothing to do: trims if enough was allocated since the last time. True if it did.</summary>
    public bool Idle()
    {
        var allocated = _allocatedBytes();
        if (allocated - _trimmedAt < _threshold)
        {
            return false;
        }

        _trimmedAt = allocated;
        _collect();
        return true;
    }
}
