using MoleculeGuardian.Files;

namespace MoleculeGuardian.Tests.Support;

/// <summary>
/// A process identity that never changes the test process's credentials: a test run as root must stay root. It
/// records every switch the guardian asks for and, with <see cref="Follow"/>, reports the new ids afterwards (the
/// system calls are still made as whoever runs the tests).
/// </summary>
internal sealed class RecordingIdentity : IProcessIdentity
{
    public RecordingIdentity(uint? uid = null, uint? gid = null, bool follow = false)
    {
        Uid = uid ?? LinuxProcessIdentity.Instance.Uid;
        Gid = gid ?? LinuxProcessIdentity.Instance.Gid;
        Follow = follow;
    }

    public uint Uid { get; private set; }

    public uint Gid { get; private set; }

    public bool Follow { get; }

    /// <summary>Supplementary groups the identity claims, besides <see cref="Gid"/>.</summary>
    public HashSet<uint> Groups { get; } = [];

    /// <summary>Users by name, for <see cref="FindUser"/> and <see cref="PrimaryGroupOf"/>.</summary>
    public Dictionary<string, (uint Uid, uint Gid)> Users { get; } = new(StringComparer.Ordinal);

    public List<(uint Uid, uint Gid)> Switches { get; } = [];

    public bool InGroup(uint gid) => gid == Gid || Groups.Contains(gid);

    public void Become(uint uid, uint gid)
    {
        Switches.Add((uid, gid));
        if (Follow)
        {
            (Uid, Gid) = (uid, gid);
            Groups.Clear();
        }
    }

    public uint? PrimaryGroupOf(uint uid) => Users.Values.Where(u => u.Uid == uid).Select(u => (uint?)u.Gid).FirstOrDefault();

    public (uint Uid, uint Gid)? FindUser(string name) => Users.TryGetValue(name, out var user) ? user : null;
}
