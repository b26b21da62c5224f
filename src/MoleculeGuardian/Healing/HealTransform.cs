using System.Text.Json.Nodes;

namespace MoleculeGuardian.Healing;

/// <summary>The outcome of a heal. <see cref="Document"/> is the input itself when nothing changed.</summary>
internal sealed record HealResult(JsonObject Document, IReadOnlyList<HealChange> Changes)
{
    public bool Changed => Changes.Count > 0;
}

/// <summary>
/// The heal, as a pure function: desired state = protected entries ∪ everything already in the document.
/// Only <c>mcpServers.&lt;protected name&gt;</c> may change; every other key keeps its value and its place.
/// The input is never mutated; a compliant document is returned as is, without a copy.
/// </summary>
internal static class HealTransform
{
    public const string McpServersKey = "mcpServers";

    public static HealResult Heal(JsonNode? document, IReadOnlyList<ProtectedServer> servers, DriftPolicy policy) =>
        Heal(document, servers, policy, inPlace: false);

    /// <summary>
    /// As <see cref="Heal(JsonNode?, IReadOnlyList{ProtectedServer}, DriftPolicy)"/>, but changes
    /// <paramref name="document"/> itself instead of a copy (the result's document is then the input), for a caller
    /// that owns a freshly parsed document and would throw the original away anyway.
    /// </summary>
    public static HealResult HealInPlace(JsonNode? document, IReadOnlyList<ProtectedServer> servers, DriftPolicy policy) =>
        Heal(document, servers, policy, inPlace: true);

    private static HealResult Heal(JsonNode? document, IReadOnlyList<ProtectedServer> servers, DriftPolicy policy, bool inPlace)
    {
        ArgumentNullException.ThrowIfNull(servers);
        if (document is not JsonObject root)
        {
            var fresh = new JsonObject { [McpServersKey] = NewServers(servers) };
            return new HealResult(fresh, [new HealChange(HealChangeKind.RepairedRoot)]);
        }

        var changes = Plan(root, servers, policy);
        if (changes.Count == 0)
        {
            return new HealResult(root, changes);
        }

        // The copy is what keeps the pure heal pure; it costs as much as the rest of the heal together.
        var healed = inPlace ? root : (JsonObject)root.DeepClone();
        Apply(healed, servers, changes);
        return new HealResult(healed, changes);
    }

    /// <summary>True when every protected entry is present and, under <paramref name="policy"/>, acceptable.</summary>
    public static bool Complies(JsonNode? document, IReadOnlyList<ProtectedServer> servers, DriftPolicy policy) =>
        document is JsonObject root && Plan(root, servers, policy).Count == 0;

    private static List<HealChange> Plan(JsonObject root, IReadOnlyList<ProtectedServer> servers, DriftPolicy policy)
    {
        var changes = new List<HealChange>();
        if (!root.TryGetPropertyValue(McpServersKey, out var node))
        {
            changes.Add(new HealChange(HealChangeKind.CreatedMcpServers));
            changes.AddRange(servers.Select(s => new HealChange(HealChangeKind.AddedEntry, s.Name)));
            return changes;
        }

        if (node is not JsonObject existing)
        {
            changes.Add(new HealChange(HealChangeKind.RepairedMcpServers));
            changes.AddRange(servers.Select(s => new HealChange(HealChangeKind.AddedEntry, s.Name)));
            return changes;
        }

        foreach (var server in servers)
        {
            if (!existing.TryGetPropertyValue(server.Name, out var entry))
            {
                changes.Add(new HealChange(HealChangeKind.AddedEntry, server.Name));
            }
            else if (entry is not JsonObject || (policy == DriftPolicy.Replace && !JsonNode.DeepEquals(entry, server.Spec)))
            {
                // Not even an object (null, a string): no policy keeps that, the executor could not use it.
                changes.Add(new HealChange(HealChangeKind.ReplacedDrift, server.Name));
            }
        }

        return changes;
    }

    private static void Apply(JsonObject root, IReadOnlyList<ProtectedServer> servers, List<HealChange> changes)
    {
        if (changes[0].Kind is HealChangeKind.CreatedMcpServers or HealChangeKind.RepairedMcpServers)
        {
            // Assigning an existing key keeps its place; a new key goes last, as Python's setdefault does.
            root[McpServersKey] = NewServers(servers);

            // Stryker disable once Statement : without it the loop below only assigns the same specs to the new object again
            return;
        }

        var existing = (JsonObject)root[McpServersKey]!;
        foreach (var server in servers)
        {
            if (changes.Exists(c => c.Server == server.Name))
            {
                existing[server.Name] = server.Spec.DeepClone();
            }
        }
    }

    private static JsonObject NewServers(IReadOnlyList<ProtectedServer> servers)
    {
        var obj = new JsonObject();
        foreach (var server in servers)
        {
            obj[server.Name] = server.Spec.DeepClone();
        }

        return obj;
    }
}
