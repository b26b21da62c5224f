namespace MoleculeGuardian.Files;

/// <summary>What the identity step decided, for the log: whom the guardian acts as, whether that took a switch, and why.</summary>
internal sealed record IdentityDecision(uint Uid, uint Gid, bool Switched, string Reason);

internal enum IdentityState
{
    /// <summary>Decided and applied: the directory may be used, through <see cref="Privilege.Open"/>.</summary>
    Settled,

    /// <summary>Started as root, and the directory is not there yet: decided when it appears.</summary>
    Waiting,

    /// <summary>Started as root, and the directory is not one root may act in or hand to its owner; <see cref="Privilege.Reason"/> says why.</summary>
    Refused,
}

/// <summary>
/// Whom the guardian acts as in the settings directory, decided and applied once, at start, by <see cref="Settle"/>,
/// before anything there is read, listed, removed or watched; every later use goes through <see cref="Open"/>, whose
/// walk policy that decision fixes. Not root: whoever it was started as (the kernel decides what that may do). Root:
/// the user <c>Guardian:RunAs</c> names; otherwise the directory's owner when that is another user (for good, with no
/// supplementary groups); root itself only in a root-owned directory that no other user can write, by mode or by
/// ACL, which is the rule <c>logrotate</c> applies. A guardian that stayed root keeps to that rule at every use.
/// </summary>
internal sealed class Privilege
{
    private readonly IProcessIdentity _identity;
    private readonly IFileSystemCalls _fs;
    private readonly (uint Uid, uint Gid)? _runAs;
    private readonly Action<IdentityDecision>? _decided;
    private readonly Lock _gate = new();
    private volatile Step _step;

    public Privilege(IProcessIdentity identity, IFileSystemCalls fs, string directory, (uint Uid, uint Gid)? runAs = null,
        Action<IdentityDecision>? decided = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(fs);
        _identity = identity;
        _fs = fs;
        Directory = directory;
        _runAs = runAs;
        _decided = decided;
        StartedAsRoot = identity.Uid == 0;
        _step = StartedAsRoot ? Step.Pending(IdentityState.Waiting, "") : Step.Settled(null);
    }

    /// <summary>
    /// Already settled as whoever <paramref name="identity"/> is now, root included (then with root's walk policy):
    /// for a caller that decided elsewhere, such as a test whose identity only records switches.
    /// </summary>
    public static Privilege AsIs(IProcessIdentity identity, IFileSystemCalls fs, string directory)
    {
        var privilege = new Privilege(identity, fs, directory);
        privilege._step = Step.Settled(null);
        return privilege;
    }

    public IProcessIdentity Identity => _identity;

    /// <summary>The settings directory, as configured.</summary>
    public string Directory { get; }

    public bool StartedAsRoot { get; }

    public IdentityState State => _step.State;

    /// <summary>Why the step is refused, while it is.</summary>
    public string Reason => _step.Reason;

    /// <summary>What the step decided, once it has, when the process was root; null otherwise.</summary>
    public IdentityDecision? Decision => _step.Decision;


    /// <summary>
    /// The identity step: decides and applies whom the guardian acts as, if that is not settled yet. A root guardian
    /// walks to the directory (without following a symlink, under the CHASE_SAFE rule) to see who owns it; while it is
    /// missing or refused, nothing is decided and the caller asks again later (the watcher, when it appears).
    /// </summary>
    public IdentityState Settle()
    {
        lock (_gate)
        {
            if (_step.State != IdentityState.Settled)
            {
                _step = Decide();
                if (_step.Decision is { } decision)
                {
                    _decided?.Invoke(decision);
                }
            }

            return _step.State;
        }
    }

    /// <summary>
    /// The directory for one use, walked under the settled identity's policy: root's CHASE_SAFE walk, and root's rule
    /// for the directory itself, only while the guardian acts as root. Before the step has settled, what it found
    /// instead (missing, or refused), without looking.
    /// </summary>
    public DirectoryOpen Open()
    {
        var step = _step;
        if (step.State != IdentityState.Settled)
        {
            return step.State == IdentityState.Waiting ? DirectoryOpen.Missing : DirectoryOpen.Refused(step.Reason);
        }

        // Root's walk policy for a guardian settled as root; not for one that switched, nor one that never was root.
        var asRoot = StartedAsRoot && step.Decision is not { Switched: true };
        var open = DirectoryWalk.Open(_fs, Directory, asRoot);
        if (!asRoot || open.Directory is not { } dir)
        {
            return open;
        }

        var keep = false;
        try
        {
            var refused = RootRefusal(dir);
            keep = refused is null;
            return keep ? open : DirectoryOpen.Refused(refused!);
        }
        finally
        {
            if (!keep)
            {
                dir.Dispose();
            }
        }
    }

    /// <summary>What to do about an EACCES or EPERM, for the log: it depends on whom the guardian was started as, and acts as.</summary>
    public string AccessHint(PosixException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var denied = $"{ex.Operation} {ex.Path}";
        if (!StartedAsRoot)
        {
            return $"the guardian runs as uid {_identity.Uid}, which may not {denied}: run it as the owner of {Directory}, "
                + "or start it as root, and it acts as that owner";
        }

        if (Decision is { Switched: true } d)
        {
            return $"the guardian was started as root and acts as uid {d.Uid} gid {d.Gid} since its start, because {d.Reason}; "
                + $"uid {d.Uid} may not {denied}: give uid {d.Uid} access (search permission on every directory on the way to "
                + $"{Directory}, write permission on it), or set Guardian:RunAs to a user that has it; restarting it as root changes nothing";
        }

        return $"the guardian acts as root and still may not {denied}: a read-only mount, an immutable attribute or a security "
            + "module (SELinux, AppArmor) refuses it; lift that restriction";
    }

    private Step Decide()
    {
        if (_runAs is { } user)
        {
            return Switch(user.Uid, user.Gid, "Guardian:RunAs names it");
        }

        DirectoryOpen open;
        try
        {
            open = DirectoryWalk.Open(_fs, Directory, privileged: true);
        }
        catch (PosixException ex)
        {
            return Step.Pending(IdentityState.Refused, $"whom to act as in {Directory} is not decided: {ex.Message}");
        }

        if (open.Directory is not { } dir)
        {
            return Step.Pending(open.Status == DirectoryStatus.Missing ? IdentityState.Waiting : IdentityState.Refused, open.Reason);
        }

        using (dir)
        {
            var stat = dir.Stat;
            if (stat.Uid != 0)
            {
                // The owner's own group; without a user-database entry, the directory's group, unless that is root's.
                var gid = _identity.PrimaryGroupOf(stat.Uid) ?? (stat.Gid != 0 ? stat.Gid : null);
                return gid is { } group
                    ? Switch(stat.Uid, group, $"it owns {Directory}")
                    : Step.Pending(IdentityState.Refused, $"{Directory} belongs to uid {stat.Uid}, which has no user-database entry, and to group 0: "
                        + "set Guardian:RunAs to the user to act as");
            }

            return RootRefusal(dir) is { } refused
                ? Step.Pending(IdentityState.Refused, refused)
                : Step.Settled(new IdentityDecision(0, 0, false, $"root owns {Directory} and no other user can write it"));
        }
    }

    /// <summary>
    /// Root acts only in a root-owned directory that nobody else can write: by its access ACL when it has one (named
    /// users and groups, the owning group, as the mask lets them, and others), else by the mode: not the "others" bit,
    /// not a group other than root's. (With an ACL the mode's group bits are only its mask.) Null when root may.
    /// </summary>
    private string? RootRefusal(SettingsDirectory dir)
    {
        var stat = dir.Stat;
        if (stat.Uid != 0)
        {
            return $"{Directory} belongs to uid {stat.Uid} now, but the guardian settled at its start, when root owned it, to act as "
                + "root there, and decides that only once: restart it so it acts as the owner, or set Guardian:RunAs";
        }

        const string Why = "root does not act in a directory another user can change; set Guardian:RunAs to the user to act as";
        var mode = Convert.ToString(stat.Mode & 0xFFF, 8);
        if (_fs.GetXattr(dir.Handle, PosixAcl.AccessAttribute, Directory) is { } acl)
        {
            return PosixAcl.Writers(acl, stat.Uid, stat.Gid) switch
            {
                null => $"{Directory} belongs to root but has an access ACL the guardian cannot read: {Why}",
                { Count: 0 } => null,
                var writers => $"{Directory} belongs to root but its access ACL lets {string.Join(" and ", writers)} write it (mode {mode}): {Why}",
            };
        }

        var writer = (stat.Mode & 0x2) != 0 ? "anyone" : (stat.Mode & 0x10) != 0 && stat.Gid != 0 ? $"group {stat.Gid}" : null;
        return writer is null ? null : $"{Directory} belongs to root but {writer} can write it (mode {mode}): {Why}";
    }

    private Step Switch(uint uid, uint gid, string reason)
    {
        try
        {
            _identity.Become(uid, gid);
        }
        catch (PosixException ex)
        {
            return Step.Pending(IdentityState.Refused, $"the switch to uid {uid} gid {gid} failed ({ex.Message}), and root does not act in {Directory} instead");
        }

        return Step.Settled(new IdentityDecision(uid, gid, true, reason));
    }

    /// <summary>The step's outcome, replaced whole so that readers on other threads never see half of one.</summary>
    private sealed record Step(IdentityState State, string Reason, IdentityDecision? Decision)
    {
        public static Step Settled(IdentityDecision? decision) => new(IdentityState.Settled, "", decision);

        public static Step Pending(IdentityState state, string reason) => new(state, reason, null);
    }
}
