using System.Text;
using System.Text.Json.Nodes;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Tests.Json;

/// <summary>The writer's size limit is exact: an output of exactly the limit is written, one byte more is refused.</summary>
public sealed class PythonJsonWriterTests
{
    private static readonly byte[] Expected = Encoding.ASCII.GetBytes("{\n  \"k\": [\n    \"v\\u00e9\",\n    1\n  ]\n}\n");

    [Fact]
    public void Write_OutputOfExactlyTheLimit_Written()
    {
        var root = SettingsJson.ToElement(new JsonObject { ["k"] = new JsonArray("v\u00e9", 1) });

        Assert.Equal(Expected, PythonJsonWriter.Write(root, duplicateKeys: false, edit: null, maxBytes: Expected.Length));
    }

    [Fact]
    public void Write_OutputOneByteOverTheLimit_Refused()
    {
        var root = SettingsJson.ToElement(new JsonObject { ["k"] = new JsonArray("v\u00e9", 1) });

        var refused = Assert.Throws<OutputTooLargeException>(() => PythonJsonWriter.Write(root, duplicateKeys: false, edit: null, maxBytes: Expected.Length - 1));

        Assert.Equal(Expected.Length - 1, refused.Limit);
    }

    [Fact]
    public void Serialize_NullDocument_Throws() =>
        Assert.Throws<ArgumentNullException>(() => SettingsJson.Serialize((SettingsDocument)null!));
}
