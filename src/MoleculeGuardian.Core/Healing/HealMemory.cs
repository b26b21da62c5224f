using System.Collections.Immutable;
using System.Text.Json;

namespace MoleculeGuardian.Healing;

/// <summary>
/// What the guardian carries from one heal to the next, and nothing else: the bad read it is waiting on, whether the
/// file was there, the last accepted entry of each protected server (held in memory only: it may hold the org's
/// secrets, which stay in the file they came from), and what it has already reported, so each thing is said once.
/// Immutable: a decision returns the next memory, and the caller keeps it only for a heal that happened.
/// </summary>
internal sealed record HealMemory
{
    public static HealMemory Empty { get; } = new();

    /// <summary>The empty, unparseable or missing file being given time to settle.</summary>
    public TornRead? Torn { get; init; }

    /// <summary>The file was there at the last look (a file missing now was deleted, and a deletion settles too).</summary>
    public bool WasPresent { get; init; }

    /// <summary>Per server, the last entry of an accepted shape seen in the file: what a restore puts back.</summary>
    public ImmutableDictionary<string, JsonElement> LastAccepted { get; init; } = ImmutableDictionary.Create<string, JsonElement>(StringComparer.Ordinal);

    /// <summary>Servers said to be out and not restorable, until an accepted entry is seen there again.</summary>
    public ImmutableHashSet<string> ReportedUnrestorable { get; init; } = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Per server, a digest of the impostor entry last reported, until an accepted entry is seen there again.</summary>
    public ImmutableDictionary<string, string> ReportedImpostors { get; init; } = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>The refusal last reported, until a look is not refused.</summary>
    public string? ReportedRefusal { get; init; }

    /// <summary>The guardian's own write landed: the file is there.</summary>
    public HealMemory Wrote() => this with { WasPresent = true };
}

/// <summary>
/// A bad read the guardian waits on: what it was (kind, version and a digest of the bytes: the bytes themselves are
/// not kept), when it was first seen as it is, and since when every look has been bad.
/// </summary>
internal sealed record TornRead(SeenKind Kind, FileVersion? Version, byte[] Digest, TimeSpan Since, TimeSpan BadSince);
