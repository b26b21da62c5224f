using System.Text.Json;

namespace MoleculeGuardian.Tests.Support;

/// <summary>Log lines read back from a stream: is this one a whole JSON document?</summary>
internal static class JsonLines
{
    public static bool IsWholeJson(string line)
    {
        try
        {
            using var _ = JsonDocument.Parse(line);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
