namespace MoleculeGuardian.Healing;

internal enum HealChangeKind
{
    /// <summary>The root was not a JSON object; it was replaced by one. The caller quarantines the original.</summary>
    RepairedRoot,

    /// <summary><c>mcpServers</c> was there but not an object; it was replaced by one. The caller quarantines the original.</summary>
    RepairedMcpServers,

    /// <summary><c>mcpServers</c> was missing and was added.</summary>
    CreatedMcpServers,

    /// <summary>A protected entry was missing and was added.</summary>
    AddedEntry,

    /// <summary>A protected entry differed from its canonical spec and was replaced.</summary>
    ReplacedDrift,

    /// <summary>The settings file did not exist and was created (reported by the healer, not the transform).</summary>
    CreatedFile,

    /// <summary>The file stayed unparseable past the settle delay; it was quarantined and rebuilt (reported by the healer).</summary>
    RepairedCorruptFile,
}

/// <summary>One thing a heal changed. Names only: never a value, which may be a secret.</summary>
internal readonly record struct HealChange(HealChangeKind Kind, string? Server = null)
{
    public override string ToString() => Server is null ? Kind.ToString() : $"{Kind}:{Server}";

    /// <summary>True when the change drops bytes that are not carried into the new document.</summary>
    public bool DropsContent => Kind is HealChangeKind.RepairedRoot or HealChangeKind.RepairedMcpServers or HealChangeKind.ReplacedDrift;
}
