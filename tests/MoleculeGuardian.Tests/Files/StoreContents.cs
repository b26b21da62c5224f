using System.Text;

namespace MoleculeGuardian.Tests.Files;

/// <summary>The two small settings files the store tests write and replace: what was there, and what a heal writes.</summary>
internal static class StoreContents
{
    public static readonly byte[] Original = Encoding.UTF8.GetBytes("{\n  \"hooks\": {}\n}\n");

    public static readonly byte[] Healed = Encoding.UTF8.GetBytes("{\n  \"hooks\": {},\n  \"mcpServers\": {}\n}\n");
}
