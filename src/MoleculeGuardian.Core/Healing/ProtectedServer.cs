using System.Text.Json;

namespace MoleculeGuardian.Healing;

/// <summary>
/// A protected <c>mcpServers</c> entry: its name, the shapes the platform's entry may take there, and the configured
/// spec to write when nothing better is known. The spec is null when it cannot be built here (it names an environment
/// variable the guardian does not have); <see cref="SpecProblem"/> then says why.
/// </summary>
internal sealed class ProtectedServer
{
    public ProtectedServer(string name, JsonElement? spec, IReadOnlyList<EntryShape> accepted, string? specProblem = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(accepted);
        if (spec is null && specProblem is null)
        {
            throw new ArgumentException("a server without a spec needs the reason", nameof(specProblem));
        }

        Name = name;
        Spec = spec;
        Accepted = accepted.Count > 0 ? accepted : spec is { } only ? [EntryShape.Only("configured", only)] : [];
        SpecProblem = specProblem;
    }

    public string Name { get; }

    /// <summary>The configured entry, as it would be written; may hold secrets taken from the environment.</summary>
    public JsonElement? Spec { get; }

    /// <summary>The shapes an entry under this name may have and stay; with none configured, exactly <see cref="Spec"/>.</summary>
    public IReadOnlyList<EntryShape> Accepted { get; }

    public string? SpecProblem { get; }

    /// <summary>The name of the first shape <paramref name="entry"/> has, or null when it has none of them.</summary>
    public string? ShapeOf(JsonElement entry) => Accepted.FirstOrDefault(shape => shape.Matches(entry))?.Name;
}
