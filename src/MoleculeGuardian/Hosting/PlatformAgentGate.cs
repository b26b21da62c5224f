namespace MoleculeGuardian.Hosting;

/// <summary>The guardian protects only on the baked platform-agent image, decided exactly as the runtime decides.</summary>
internal sealed class PlatformAgentGate(bool enabled)
{
    public const string Variable = "MOLECULE_PLATFORM_AGENT_IMAGE_BAKED";

    public bool Enabled { get; } = enabled;

    /// <summary>Set unless empty, <c>0</c>, <c>false</c> or <c>no</c> (case-insensitive, surrounding blanks ignored).</summary>
    public static bool IsOn(string? value)
    {
        var v = value?.Trim() ?? "";
        return v.Length > 0
            && v != "0"
            && !v.Equals("false", StringComparison.OrdinalIgnoreCase)
            && !v.Equals("no", StringComparison.OrdinalIgnoreCase);
    }
}
