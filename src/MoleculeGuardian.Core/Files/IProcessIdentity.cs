namespace MoleculeGuardian.Files;

/// <summary>
/// Who the process acts as, and the one way to change it. A seam of its own: a test process must never really give
/// up root, so in-process tests record what the guardian would become; only the built binary switches for real.
/// </summary>
internal interface IProcessIdentity
{
    uint Uid { get; }

    uint Gid { get; }

    /// <summary>True when <paramref name="gid"/> is the effective group or one of the supplementary groups.</summary>
    bool InGroup(uint gid);

    /// <summary>
    /// Becomes <paramref name="uid"/>:<paramref name="gid"/> for good, with no supplementary groups: real, effective and
    /// saved ids alike, for every thread of the process. There is no way back.
    /// </summary>
    void Become(uint uid, uint gid);

    /// <summary>The primary group of <paramref name="uid"/> in the user database, or null when it has no entry.</summary>
    uint? PrimaryGroupOf(uint uid);

    /// <summary>A user by name: its uid and primary gid, or null when there is no such user.</summary>
    (uint Uid, uint Gid)? FindUser(string name);
}
