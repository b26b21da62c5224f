namespace MoleculeGuardian.Files;

/// <summary>A switch of the process's identity, for the log.</summary>
internal sealed record IdentitySwitch(uint Uid, uint Gid, string Reason);

/// <summary>
/// Whom the guardian acts as inside the settings directory: never anyone with more privilege there than the
/// directory's owner. Not root: whoever it was started as (the kernel decides what that may do). Root: the user
/// <c>Guardian:RunAs</c> names; otherwise the directory's owner when that is another user (for good: the process
/// switches before it reads, writes, lists or removes anything there); root itself only in a root-owned directory
/// no other user can write, which is the rule <c>logrotate</c> applies.
/// </summary>
internal sealed class Privilege
{
    private readonly IProcessIdentity _identity;
    private readonly (uint Uid, uint Gid)? _runAs;
    private readonly Action<IdentitySwitch>? _switched;

    public Privilege(IProcessIdentity identity, (uint Uid, uint Gid)? runAs = null, Action<IdentitySwitch>? switched = null)
    {
        _identity = identity;
        _runAs = runAs;
        _switched = switched;
    }

    public IProcessIdentity Identity => _identity;

    /// <summary>True while the process is root: the walk then applies the CHASE_SAFE rule.</summary>
    public bool Privileged => _identity.Uid == 0;

    /// <summary>
    /// Settles who acts in <paramref name="directory"/>, switching the process if needed. Null when the guardian may
    /// go on; otherwise why it must not touch the directory.
    /// </summary>
    public string? ActIn(SettingsDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Privileged)
        {
            return null;
        }

        if (_runAs is { } user)
        {
            Switch(user.Uid, user.Gid, "Guardian:RunAs names it");
            return null;
        }

        var stat = directory.Stat;
        if (stat.Uid != 0)
        {
            // The owner's own group; without a user-database entry, the directory's group, unless that is root's.
            var gid = _identity.PrimaryGroupOf(stat.Uid) ?? (stat.Gid != 0 ? stat.Gid : null);
            if (gid is not { } group)
            {
                return $"{directory.Path} belongs to uid {stat.Uid}, which has no user-database entry, and to group 0: "
                    + "set Guardian:RunAs to the user to act as";
            }

            Switch(stat.Uid, group, $"it owns {directory.Path}");
            return null;
        }

        var byOthers = (stat.Mode & 0x2) != 0;
        if (byOthers || ((stat.Mode & 0x10) != 0 && stat.Gid != 0))
        {
            return $"{directory.Path} belongs to root but {(byOthers ? "anyone" : $"group {stat.Gid}")} can write it "
                + $"(mode {Convert.ToString(stat.Mode & 0xFFF, 8)}): root does not act in a directory another user can change; "
                + "set Guardian:RunAs to the user to act as";
        }

        return null;
    }

    private void Switch(uint uid, uint gid, string reason)
    {
        _identity.Become(uid, gid);
        _switched?.Invoke(new IdentitySwitch(uid, gid, reason));
    }
}
