using System.Text.Json;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Healing;

/// <summary>How a protected name is held in the file.</summary>
internal enum EntryKind
{
    Missing,

    /// <summary>An entry of one of the server's accepted shapes: left exactly as it is.</summary>
    Accepted,

    /// <summary>An object of no accepted shape: someone else's program under the platform's name.</summary>
    Impostor,

    /// <summary>Not an object at all (null, a string): nothing could run it.</summary>
    Unusable,
}

/// <summary>A protected entry as found: what it is, the entry itself (unless missing), the shape it matched.</summary>
internal readonly record struct EntryState(EntryKind Kind, JsonElement Entry, string? Shape = null)
{
    /// <summary>The entry's command for a report: the string, or what stands there instead; never an env value.</summary>
    public string Command => Entry.ValueKind == JsonValueKind.Object && Entry.TryGetProperty("command", out var command)
        ? command.ValueKind == JsonValueKind.String ? Shorten(command.GetString()!) : $"(a {command.ValueKind.ToString().ToLowerInvariant()} command)"
        : Entry.ValueKind == JsonValueKind.Object ? "(no command)" : $"(not an object: {Entry.ValueKind.ToString().ToLowerInvariant()})";

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}

/// <summary>How <c>mcpServers</c> is held in the document.</summary>
internal enum ServersKind
{
    /// <summary>No usable document: nothing parsed, or a root that is not an object.</summary>
    NoDocument,
    Missing,
    NotObject,
    Object,
}

/// <summary>
/// The heal's pure parts: how the protected entries are held in a document, and the document with some of them set.
/// Only <c>mcpServers.&lt;protected name&gt;</c> ever changes; every other key keeps its value and its place (a missing
/// <c>mcpServers</c> goes last, as Python's <c>setdefault</c> puts it), and the output is what the runtime's Python
/// writers produce.
/// </summary>
internal static class HealTransform
{
    public const string McpServersKey = "mcpServers";

    private static readonly JsonElement EmptyObject = SettingsJson.ToElement(new System.Text.Json.Nodes.JsonObject());

    public static ServersKind ServersOf(SettingsDocument? document, out JsonElement servers)
    {
        servers = default;
        if (document?.Root is not { ValueKind: JsonValueKind.Object } root)
        {
            return ServersKind.NoDocument;
        }

        if (!root.TryGetProperty(McpServersKey, out servers))
        {
            return ServersKind.Missing;
        }

        return servers.ValueKind == JsonValueKind.Object ? ServersKind.Object : ServersKind.NotObject;
    }

    /// <summary>How <paramref name="server"/> is held in <paramref name="servers"/> (an object; a repeated name: the last one, as Python reads it).</summary>
    public static EntryState Inspect(JsonElement servers, ProtectedServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (servers.ValueKind != JsonValueKind.Object || !servers.TryGetProperty(server.Name, out var entry))
        {
            return new EntryState(EntryKind.Missing, default);
        }

        if (server.ShapeOf(entry) is { } shape)
        {
            return new EntryState(EntryKind.Accepted, entry, shape);
        }

        return new EntryState(entry.ValueKind == JsonValueKind.Object ? EntryKind.Impostor : EntryKind.Unusable, entry);
    }

    /// <summary>
    /// The document with <paramref name="entries"/> set under <c>mcpServers</c>: in place where the name is, after the
    /// other entries where it is not; <c>mcpServers</c> itself made an object where it is not one. Without a usable
    /// document, a new one holding only them. Throws <see cref="OutputTooLargeException"/> past <paramref name="maxBytes"/>.
    /// </summary>
    public static byte[] With(SettingsDocument? document, IReadOnlyList<KeyValuePair<string, JsonElement>> entries, long maxBytes)
    {
        var edit = new MemberEdit(McpServersKey, entries);

        // Stryker disable once Boolean : the entries set are folded already (remembered as the runtime reads them, or built in code), so folding again changes nothing
        return document?.Root is { ValueKind: JsonValueKind.Object } root
            ? PythonJsonWriter.Write(root, document.DuplicateKeys, edit, maxBytes)
            : PythonJsonWriter.Write(EmptyObject, duplicateKeys: false, edit, maxBytes);
    }
}
