namespace MoleculeGuardian.Files;

/// <summary>
/// Pruning quarantine copies without listing the directory at every quarantine: a settings directory may hold a
/// million names (nobody stops its owner from making them), and a quarantine heal must not cost a listing of them.
/// </summary>
internal sealed partial class SettingsFileStore
{
    /// <summary>
    /// The most copies of one kind the store keeps track of, and so the most <c>Guardian:KeepQuarantined</c> may keep
    /// (its validator allows 1 to 1000). More copies of one kind than this are never the guardian's own doing; the
    /// ones past the newest this many are left alone.
    /// </summary>
    public const int KeepLimit = 1000;

    private static readonly QuarantineKind[] Kinds = [QuarantineKind.Corrupt, QuarantineKind.Replaced];
    private static readonly Comparer<QuarantineName> ByDate = Comparer<QuarantineName>.Create((a, b) => a.Order.CompareTo(b.Order));
    private readonly Lock _copiesLock = new();
    private KnownCopies? _copies;

    /// <summary>
    /// Keeps the newest <paramref name="keep"/> copies of one kind, the one just made among them. Only the guardian's
    /// own copies count: names of exactly its form, regular files with one link, dated before the copy just made (a
    /// later date is nobody's copy of ours, and must not push ours out). Anything else is left alone.
    /// <para>
    /// The copies come from one streamed listing of the directory (the start-up sweep's, or else the first prune's,
    /// or again once the directory was replaced), which keeps the newest <see cref="KeepLimit"/> of each kind, and from
    /// the copies this process made since. So memory stays bounded and a quarantine among a million names lists
    /// nothing. Copies another process makes meanwhile (an SRE's one-shot <c>heal</c>) are pruned by the next listing.
    /// Names are data: every deletion first checks, by a stat through the directory handle, that the name still is a
    /// plain file with one link.
    /// </para>
    /// </summary>
    private void Prune(SettingsDirectory dir, QuarantineName made, int keep)
    {
        lock (_copiesLock)
        {
            try
            {
                if (_copies is not { } copies || !copies.Describes(dir.Stat))
                {
                    copies = new KnownCopies(dir.Stat);
                    foreach (var name in _fs.ListNames(dir.Handle, Directory))
                    {
                        Note(copies, dir, name, made.Order);
                    }

                    _copies = copies;
                }

                var ofKind = copies.Of(made.Kind);
                _ = ofKind.RemoveWhere(copy => copy.Order.CompareTo(made.Order) >= 0);
                _ = ofKind.Add(made);
                while (ofKind.Count > keep)
                {
                    var oldest = ofKind.Min;
                    _ = ofKind.Remove(oldest);
                    if (oldest.Order.CompareTo(made.Order) < 0 && IsPlainFile(dir, oldest.Name))
                    {
                        TryUnlink(dir.Handle, oldest.Name);
                    }
                }
            }
            catch (PosixException)
            {
                // Housekeeping only: the copy is safe on disk. A listing that failed is made again at the next
                // quarantine; an old copy that could not be removed is left to the next process's listing.
            }
        }
    }

    /// <summary>Takes the copies a complete listing found as what the store knows of that directory.</summary>
    private void Remember(KnownCopies copies)
    {
        lock (_copiesLock)
        {
            _copies = copies;
        }
    }

    /// <summary>
    /// Notes one name of a listing if it is a copy of either kind dated before <paramref name="before"/> and a plain
    /// file with one link, while it is among the newest <see cref="KeepLimit"/> of its kind so far (only those cost a stat).
    /// </summary>
    private void Note(KnownCopies copies, SettingsDirectory dir, string name, (DateTime, int) before)
    {
        if (!name.StartsWith(FileName, StringComparison.Ordinal))
        {
            return;
        }

        foreach (var kind in Kinds)
        {
            if (QuarantineName.TryParse(name, FileName, kind) is not { } copy || copy.Order.CompareTo(before) >= 0)
            {
                continue;
            }

            var ofKind = copies.Of(kind);
            if ((ofKind.Count < KeepLimit || copy.Order.CompareTo(ofKind.Min.Order) > 0) && IsSurelyPlainFile(dir, name))
            {
                _ = ofKind.Add(copy);
                if (ofKind.Count > KeepLimit)
                {
                    _ = ofKind.Remove(ofKind.Min);
                }
            }
        }
    }

    /// <summary>Whether the name is a plain file with one link; false when that cannot be told.</summary>
    private bool IsSurelyPlainFile(SettingsDirectory dir, string name)
    {
        try
        {
            return IsPlainFile(dir, name);
        }
        catch (PosixException)
        {
            // One name that cannot be stat'ed must not end the start-up sweep: it is simply not taken for a copy.
            return false;
        }
    }

    /// <summary>
    /// The copies of one directory the store knows of, newest last, per kind: at most <see cref="KeepLimit"/> + 1
    /// each. Ordered by the date in their names (two names of one kind never share one: the sequence number tells
    /// copies of one millisecond apart).
    /// </summary>
    private sealed class KnownCopies(FileStat directory)
    {
        private readonly SortedSet<QuarantineName> _corrupt = new(ByDate);
        private readonly SortedSet<QuarantineName> _replaced = new(ByDate);

        /// <summary>True for the same directory: the one listed, not another put in its place since.</summary>
        public bool Describes(FileStat now) => now.Device == directory.Device && now.Inode == directory.Inode;

        public SortedSet<QuarantineName> Of(QuarantineKind kind) => kind == QuarantineKind.Corrupt ? _corrupt : _replaced;
    }
}
