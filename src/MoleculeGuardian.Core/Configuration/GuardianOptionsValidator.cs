using System.Globalization;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Files;

namespace MoleculeGuardian.Configuration;

/// <summary>Validates at startup; every message starts with the setting's full configuration key.</summary>
internal sealed class GuardianOptionsValidator : IValidateOptions<GuardianOptions>
{
    private const string P = GuardianOptions.SectionName + ":";
    private readonly IProcessIdentity _identity;

    public GuardianOptionsValidator(IProcessIdentity? identity = null)
    {
        _identity = identity ?? LinuxProcessIdentity.Instance;
    }

    public ValidateOptionsResult Validate(string? name, GuardianOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        if (!Path.IsPathFullyQualified(options.SettingsPath) || options.SettingsPath.EndsWith('/'))
        {
            errors.Add($"{P}SettingsPath must be an absolute path to a file (got '{options.SettingsPath}').");
        }
        else if (options.SettingsPath.Split('/').Any(part => part is "." or ".."))
        {
            errors.Add($"{P}SettingsPath must not have '.' or '..' components (got '{options.SettingsPath}').");
        }

        Positive(errors, "SettleDelay", options.SettleDelay);
        Positive(errors, "PollInterval", options.PollInterval);
        Positive(errors, "DirectoryCheckInterval", options.DirectoryCheckInterval);
        Positive(errors, "RetryMinDelay", options.RetryMinDelay);
        Positive(errors, "RetryMaxDelay", options.RetryMaxDelay);
        if (options.ResyncInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{P}ResyncInterval must be at least 00:00:01 (got {options.ResyncInterval}).");
        }

        if (options.RetryMaxDelay < options.RetryMinDelay)
        {
            errors.Add($"{P}RetryMaxDelay ({options.RetryMaxDelay}) must not be shorter than {P}RetryMinDelay ({options.RetryMinDelay}).");
        }

        if (options.MaxFileBytes is < 1024 or > 1L << 30)
        {
            errors.Add($"{P}MaxFileBytes must be between 1024 and 1073741824 (got {options.MaxFileBytes}).");
        }

        // Zero would let a repair drop bytes with no copy kept.
        if (options.KeepQuarantined is < 1 or > 1000)
        {
            errors.Add($"{P}KeepQuarantined must be between 1 and 1000 (got {options.KeepQuarantined}).");
        }

        if (options.FightThresholdPerMinute < 1)
        {
            errors.Add($"{P}FightThresholdPerMinute must be at least 1 (got {options.FightThresholdPerMinute}).");
        }

        if (!Enum.IsDefined(options.DriftPolicy))
        {
            errors.Add($"{P}DriftPolicy must be Replace or Keep.");
        }

        if (!Enum.IsDefined(options.Watch))
        {
            errors.Add($"{P}Watch must be Auto, Events or Poll.");
        }

        if (!TryParseMode(options.NewFileMode, out _))
        {
            errors.Add($"{P}NewFileMode must be an octal file mode between 0000 and 0777 (got '{options.NewFileMode}').");
        }

        ValidateRunAs(errors, options.RunAs);
        ValidateServers(errors, options.ProtectedServers);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static bool TryParseMode(string? text, out UnixFileMode mode)
    {
        mode = 0;
        if (string.IsNullOrEmpty(text) || text.Length > 4 || text.Any(c => c is < '0' or > '7'))
        {
            return false;
        }

        var value = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        var bits = Convert.ToInt32(value.ToString(CultureInfo.InvariantCulture), 8);
        if (bits > 0x1FF)
        {
            return false;
        }

        mode = (UnixFileMode)bits;
        return true;
    }

    /// <summary>
    /// <c>Guardian:RunAs</c> as uid and gid: a user name (its primary group), a uid (its primary group, or the same
    /// number without a user-database entry), or <c>uid:gid</c>. Null when empty; throws when it names nobody.
    /// </summary>
    public static (uint Uid, uint Gid)? ResolveUser(string? runAs, IProcessIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (string.IsNullOrEmpty(runAs))
        {
            return null;
        }

        var parts = runAs.Split(':');
        if (parts.Length == 2 && TryId(parts[0], out var uid) && TryId(parts[1], out var gid))
        {
            return (uid, gid);
        }

        if (parts.Length == 1 && TryId(parts[0], out var alone))
        {
            return (alone, identity.PrimaryGroupOf(alone) ?? alone);
        }

        return parts.Length == 1 && identity.FindUser(runAs) is { } user
            ? user
            : throw new FormatException($"{P}RunAs names no user (got '{runAs}'); give a user name, a uid, or uid:gid.");
    }

    private static bool TryId(string text, out uint id) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);

    private void ValidateRunAs(List<string> errors, string? runAs)
    {
        (uint Uid, uint Gid)? user;
        try
        {
            user = ResolveUser(runAs, _identity);
        }
        catch (FormatException ex)
        {
            errors.Add(ex.Message);
            return;
        }

        if (user is not { } u)
        {
            return;
        }

        if (u.Uid == 0 || u.Gid == 0)
        {
            errors.Add($"{P}RunAs must name an ordinary user, not root (got '{runAs}').");
        }
        else if (_identity.Uid != 0 && (_identity.Uid != u.Uid || _identity.Gid != u.Gid))
        {
            errors.Add($"{P}RunAs is '{runAs}' ({u.Uid}:{u.Gid}), but the guardian runs as {_identity.Uid}:{_identity.Gid} and cannot switch; "
                + "start it as root or as that user.");
        }
    }

    private static void ValidateServers(List<string> errors, Dictionary<string, ProtectedServerOptions> servers)
    {
        if (servers.Count == 0)
        {
            errors.Add($"{P}ProtectedServers must name at least one entry.");
        }

        foreach (var (name, server) in servers)
        {
            var key = $"{P}ProtectedServers:{name}";
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add($"{P}ProtectedServers has an entry with an empty name.");
            }

            if (string.IsNullOrWhiteSpace(server.Command) && string.IsNullOrWhiteSpace(server.Url))
            {
                errors.Add($"{key}:Command (or {key}:Url) must be set.");
            }

            if (server.Args.Any(a => a is null))
            {
                errors.Add($"{key}:Args must not contain empty items.");
            }

            foreach (var (what, value) in server.Env.Select(e => ("Env:" + e.Key, e.Value)).Concat(server.Headers.Select(h => ("Headers:" + h.Key, h.Value))))
            {
                if (!EnvReference.IsWellFormed(value ?? ""))
                {
                    errors.Add($"{key}:{what} has a '${{' that does not start a ${{NAME}} reference (NAME: letters, digits and _).");
                }
            }

            ValidateShapes(errors, key, server);
        }
    }

    /// <summary>Each shape names a command; the spec itself must be one of its shapes, or the guardian would replace what it writes.</summary>
    private static void ValidateShapes(List<string> errors, string key, ProtectedServerOptions server)
    {
        foreach (var (name, shape) in server.Accept)
        {
            if (string.IsNullOrWhiteSpace(shape.Command))
            {
                errors.Add($"{key}:Accept:{name}:Command must be set.");
            }

            if (shape.Flags.Concat(shape.Args).Concat(shape.EnvKeys).Any(string.IsNullOrEmpty))
            {
                errors.Add($"{key}:Accept:{name} must not contain empty patterns.");
            }
        }

        if (server.Accept.Count == 0 || server.Accept.Values.Any(s => string.IsNullOrWhiteSpace(s.Command)))
        {
            return;
        }

        // Shapes look at keys, commands and arguments, never at env values: the spec is judged with its references unexpanded.
        var spec = Json.SettingsJson.ToElement(ProtectedServerSpecs.Spec(server, (_, value) => value));
        var shapes = server.Accept.Select(s => new Healing.EntryShape(s.Key, s.Value.Command!, s.Value.Flags, s.Value.Args, s.Value.EnvKeys));
        if (!shapes.Any(shape => shape.Matches(spec)))
        {
            errors.Add($"{key} (its Command, Args and Env keys) is none of its accepted shapes ({string.Join(", ", server.Accept.Keys)}): "
                + "the guardian would replace the entry it writes. Add a shape under Accept, or change the spec.");
        }
    }

    private static void Positive(List<string> errors, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{P}{setting} must be greater than zero (got {value}).");
        }
    }
}
