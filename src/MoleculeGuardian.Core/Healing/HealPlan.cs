namespace MoleculeGuardian.Healing;

internal enum PlanKind
{
    /// <summary>Nothing to write (compliant, or nothing runnable to put back: see the notices).</summary>
    NoChange,

    /// <summary>Write <see cref="HealPlan.Content"/>, after keeping a copy when <see cref="HealPlan.Copy"/> says so.</summary>
    Write,

    /// <summary>A writer is taken to be mid-write: look again at the file's next change, or after <see cref="HealPlan.SettleIn"/>.</summary>
    Wait,

    /// <summary>Leave the path alone: <see cref="HealPlan.Reason"/> says why.</summary>
    Refuse,

    /// <summary>The directory does not exist.</summary>
    NoDirectory,
}

/// <summary>Which copy of the original bytes a write needs first (<c>settings.json.corrupt-*</c> or <c>.replaced-*</c>).</summary>
internal enum KeepCopy
{
    None,

    /// <summary>Unparseable, or a root or <c>mcpServers</c> that is not an object.</summary>
    Corrupt,

    /// <summary>An impostor entry replaced, or repeated keys folded: bytes that parse, dropped.</summary>
    Replaced,
}

internal enum NoticeKind
{
    /// <summary>A protected name holds an entry of no accepted shape (<see cref="EntryNotice.Detail"/>: its command).</summary>
    Impostor,

    /// <summary>A protected entry is out and nothing runnable can be put back (<see cref="EntryNotice.Detail"/>: why).</summary>
    NotRestorable,

    /// <summary>A new accepted entry was seen and is now what a restore puts back (<see cref="EntryNotice.Detail"/>: its shape).</summary>
    Remembered,
}

/// <summary>
/// Something about one protected entry to report once. Names and commands only: never an env value. For an impostor,
/// <see cref="Replaced"/> says whether this heal replaces it (policy <c>Replace</c> with something to put there).
/// </summary>
internal sealed record EntryNotice(NoticeKind Kind, string Server, string Detail, bool Replaced = false);

/// <summary>What the heal decision says to do, and the memory to carry on with if it is done.</summary>
internal sealed record HealPlan(PlanKind Kind, HealMemory Memory)
{
    public IReadOnlyList<HealChange> Changes { get; init; } = [];

    /// <summary>The whole new file, for <see cref="PlanKind.Write"/>.</summary>
    public byte[] Content { get; init; } = [];

    public KeepCopy Copy { get; init; }

    /// <summary>Why: the refusal, the bad read's problem, or why a copy is kept.</summary>
    public string Reason { get; init; } = "";

    public TimeSpan SettleIn { get; init; }

    /// <summary>The bad read or the refusal is new (not yet reported).</summary>
    public bool FirstSeen { get; init; }

    public IReadOnlyList<EntryNotice> Notices { get; init; } = [];

    /// <summary>Protected entries left out or wrong after this heal: nothing runnable to write, or an impostor kept.</summary>
    public IReadOnlyList<string> LeftOut { get; init; } = [];
}
