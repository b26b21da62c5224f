using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;

namespace MoleculeGuardian.Supervision;

/// <summary>Whom the supervisor starts its children as, from the user database (<see cref="UserDatabase"/>).</summary>
internal static class ChildUsers
{
    /// <summary>The supervisor's own user, by its effective uid.</summary>
    public static UserEntry? Current() => UserDatabase.ByUid(LinuxProcessIdentity.Instance.Uid);

    /// <summary>
    /// <c>Supervisor:RunAs</c> as a user to start <c>run</c> as. Parsed by the function that parses
    /// <c>Guardian:RunAs</c> (a name, a uid, or uid:gid), so both settings read alike. The user must have an entry:
    /// .NET starts a child as a user by name (that gives it the user's groups), and HOME and USER come from it; the
    /// gid, when given, must be that user's primary group, since that is the group the child gets.
    /// </summary>
    /// <exception cref="FormatException">The value names no user the supervisor can start a child as; the message says why.</exception>
    public static UserEntry ResolveRunAs(string runAs)
    {
        ArgumentException.ThrowIfNullOrEmpty(runAs);
        (uint Uid, uint Gid) ids;
        try
        {
            ids = GuardianOptionsValidator.ResolveUser(runAs, LinuxProcessIdentity.Instance)!.Value;
        }
        catch (FormatException)
        {
            throw new FormatException($"names no user (got '{runAs}'); give a user name, a uid, or uid:gid");
        }

        var entry = UserDatabase.ByName(runAs) is { } named && named.Uid == ids.Uid ? named : UserDatabase.ByUid(ids.Uid);
        if (entry is null)
        {
            throw new FormatException($"'{runAs}': uid {ids.Uid} has no user-database entry, and run is started as a user by name (for its groups, HOME and USER)");
        }

        return entry.Gid == ids.Gid
            ? entry
            : throw new FormatException($"'{runAs}' asks for group {ids.Gid}, but {entry.Name}'s primary group is {entry.Gid}, the group a child started as {entry.Name} gets");
    }
}
