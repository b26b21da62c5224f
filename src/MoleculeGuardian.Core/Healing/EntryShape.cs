using System.Text.Json;

namespace MoleculeGuardian.Healing;

/// <summary>
/// One way a protected entry may look and still be the platform's: the command, then optional flags (each at most
/// once, before anything else), then one argument per pattern, and <c>env</c> keys among the patterns given, every value
/// a string. Nothing else: an extra argument, an env key such as <c>LD_PRELOAD</c> or <c>NODE_OPTIONS</c>, a <c>cwd</c>,
/// a <c>url</c> make it a different program, and the runtime hands the org-admin env to whatever holds the name.
/// Patterns are literal text where <c>*</c> matches any run of characters and <c>|</c> separates alternatives.
/// <see cref="Name"/> is what the shape is called in logs (<c>npx</c>, <c>baked</c>).
/// </summary>
internal sealed record EntryShape(string Name, string Command, IReadOnlyList<string> Flags, IReadOnlyList<string> Args, IReadOnlyList<string> EnvKeys)
{
    /// <summary>Keys an entry of a shape may have; <c>type</c> only as <c>"stdio"</c>, what an entry without it means.</summary>
    private static readonly string[] Members = ["command", "args", "env", "type"];

    /// <summary>A shape that accepts exactly one entry (a server configured without shapes: its spec or nothing).</summary>
    public JsonElement? Exactly { get; init; }

    // Stryker disable once String : with Exactly set, Matches compares the whole entry and never reads Command
    public static EntryShape Only(string name, JsonElement spec) => new(name, "", [], [], []) { Exactly = spec };

    public bool Matches(JsonElement entry)
    {
        if (Exactly is { } exact)
        {
            return JsonElement.DeepEquals(exact, entry);
        }

        if (entry.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var member in entry.EnumerateObject())
        {
            if (!Members.Contains(member.Name))
            {
                return false;
            }
        }

        return entry.TryGetProperty("command", out var command) && command.ValueKind == JsonValueKind.String && command.ValueEquals(Command)
            && (!entry.TryGetProperty("type", out var type) || (type.ValueKind == JsonValueKind.String && type.ValueEquals("stdio")))
            && ArgsMatch(entry)
            && EnvMatches(entry);
    }

    private bool ArgsMatch(JsonElement entry)
    {
        if (!entry.TryGetProperty("args", out var args))
        {
            return Args.Count == 0;
        }

        if (args.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        var position = 0;
        foreach (var arg in args.EnumerateArray())
        {
            if (arg.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            var text = arg.GetString()!;
            if (position == 0 && Flags.Contains(text))
            {
                // A flag twice is not what the platform writes; once is enough to be sure of its meaning.
                if (!used.Add(text))
                {
                    return false;
                }

                continue;
            }

            // Flags only come first: after the package, npx hands every argument to the server itself.
            if (position >= Args.Count || !Glob.Matches(Args[position], text))
            {
                return false;
            }

            position++;
        }

        return position == Args.Count;
    }

    private bool EnvMatches(JsonElement entry)
    {
        if (!entry.TryGetProperty("env", out var env))
        {
            return true;
        }

        if (env.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var variable in env.EnumerateObject())
        {
            if (variable.Value.ValueKind != JsonValueKind.String || !EnvKeys.Any(pattern => Glob.Matches(pattern, variable.Name)))
            {
                return false;
            }
        }

        return true;
    }
}
