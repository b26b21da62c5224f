using MoleculeGuardian.Files;

namespace MoleculeGuardian.Hosting;

/// <summary>
/// The torn-write policy, in one place. The runtime's writers truncate, then write, so an empty or unparseable file,
/// or one that just disappeared, is first taken for another writer in the middle of its work: repair it only when it
/// stayed exactly as it is for the settle delay, or never stopped being bad for <see cref="MaxSettleRounds"/> of them.
/// Until then the judge says how long to wait; whoever runs heals (the service's timer, a one-shot command's delay)
/// only looks again then, or at the file's next change.
/// </summary>
internal sealed class SettleJudge(TimeSpan settleDelay, TimeProvider time)
{
    /// <summary>
    /// A file that keeps changing but never parses is not a writer mid-write but a writer of garbage: after this many
    /// settle delays of unbroken bad reads it counts as corrupt even though it changed.
    /// </summary>
    public const int MaxSettleRounds = 10;

    private TornRead? _torn;
    private bool _lastPresent;

    /// <summary>What a judgement says: repair now, or wait <see cref="SettleIn"/>; <see cref="FirstSeen"/> when this bad state is new.</summary>
    public readonly record struct Verdict(bool Repair, TimeSpan SettleIn, bool FirstSeen);

    /// <summary>
    /// Notes what a read found. True when the file was there at the previous look (or was torn): a file missing now
    /// was deleted, and a deletion settles like a torn write (a tree being removed or restored must not find a file
    /// put back in it); a file that was never there is created at once.
    /// </summary>
    public bool WasThere(ReadStatus now)
    {
        var was = _lastPresent || _torn is not null;
        _lastPresent = now == ReadStatus.Present;
        return was;
    }

    /// <summary>The heal wrote the file: it is there now.</summary>
    public void Wrote() => _lastPresent = true;

    /// <summary>The heal ended on anything but a bad read: nothing is pending.</summary>
    public void Clear() => _torn = null;

    /// <summary>Judges a bad read (empty, unparseable or missing).</summary>
    public Verdict Judge(SettingsRead read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var now = time.GetTimestamp();
        if (_torn is { } seen && seen.Status == read.Status && seen.Fingerprint == read.Stat?.Fingerprint
            && seen.Bytes.AsSpan().SequenceEqual(read.Bytes))
        {
            var waited = time.GetElapsedTime(seen.Since, now);
            return waited >= settleDelay ? new Verdict(true, TimeSpan.Zero, false) : new Verdict(false, settleDelay - waited, false);
        }

        var badSince = _torn?.BadSince ?? now;
        if (time.GetElapsedTime(badSince, now) >= settleDelay * MaxSettleRounds)
        {
            return new Verdict(true, TimeSpan.Zero, false);
        }

        _torn = new TornRead(read.Status, read.Stat?.Fingerprint, read.Bytes, now, badSince);
        return new Verdict(false, settleDelay, true);
    }

    /// <summary>The last bad read (what it was, not its directory handle): when it was first seen as it is, and since when every read has been bad.</summary>
    private sealed record TornRead(ReadStatus Status, (ulong, ulong, long, long, long)? Fingerprint, byte[] Bytes, long Since, long BadSince);
}
