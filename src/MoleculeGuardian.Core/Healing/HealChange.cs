namespace MoleculeGuardian.Healing;

internal enum HealChangeKind
{
    /// <summary>The root was not a JSON object; it was replaced by one. The original is quarantined.</summary>
    RepairedRoot,

    /// <summary><c>mcpServers</c> was there but not an object; it was replaced by one. The original is quarantined.</summary>
    RepairedMcpServers,

    /// <summary><c>mcpServers</c> was missing and was added.</summary>
    CreatedMcpServers,

    /// <summary>A protected entry was missing and was put back.</summary>
    AddedEntry,

    /// <summary>A protected name held an entry of no accepted shape (or no object at all); it was replaced.</summary>
    ReplacedImpostor,

    /// <summary>The settings file did not exist and was created.</summary>
    CreatedFile,

    /// <summary>The file stayed unparseable past the settle delay; it was quarantined and rebuilt.</summary>
    RepairedCorruptFile,
}

/// <summary>Where a written entry came from.</summary>
internal enum EntrySource
{
    /// <summary>The last entry of an accepted shape the guardian saw in the file (exactly, secrets included).</summary>
    LastSeen,

    /// <summary>The configured spec (<c>Guardian:ProtectedServers</c>).</summary>
    Configured,
}

/// <summary>One thing a heal changed. Names only: never a value, which may be a secret.</summary>
internal readonly record struct HealChange(HealChangeKind Kind, string? Server = null, EntrySource? Source = null)
{
    public override string ToString() =>
        Server is null ? Kind.ToString()
        : Source is { } source ? $"{Kind}:{Server}:{(source == EntrySource.LastSeen ? "last-seen" : "configured")}"
        : $"{Kind}:{Server}";

    /// <summary>True when the change drops bytes that are not carried into the new document.</summary>
    public bool DropsContent => Kind is HealChangeKind.RepairedRoot or HealChangeKind.RepairedMcpServers or HealChangeKind.ReplacedImpostor;
}
