using System.Text.Json.Nodes;

namespace MoleculeGuardian.Healing;

/// <summary>A protected <c>mcpServers</c> entry: its name and the canonical JSON it must hold.</summary>
internal sealed class ProtectedServer
{
    public ProtectedServer(string name, JsonObject spec)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(spec);
        Name = name;
        Spec = spec;
    }

    public string Name { get; }

    /// <summary>The canonical entry. Never mutated; the transform inserts deep clones.</summary>
    public JsonObject Spec { get; }
}
