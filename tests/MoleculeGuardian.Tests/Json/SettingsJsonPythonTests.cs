using System.Text;
using MoleculeGuardian.Json;
using MoleculeGuardian.Tests.Healing;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Json;

/// <summary>
/// SettingsJson judged by Python's own <c>json</c> through the real interpreter, not by itself: it must accept what
/// <c>json.loads</c> accepts (but for the differences the README documents) and write what <c>json.dumps</c> writes.
/// </summary>
public sealed class SettingsJsonPythonTests
{
    /// <summary>Inputs Python loads and the guardian deliberately refuses ("Read like the runtime" in the README).</summary>
    private static readonly HashSet<string> PythonOnly = new(StringComparer.Ordinal)
    {
        // NaN and Infinity are not JSON: Claude Code, the file's real reader, rejects them.
        "nan.json", "infinity.json", "NaN", "Infinity", "-Infinity",

        // A lone surrogate escape has no UTF-16 string to become in .NET.
        "lone-surrogate.json", "lone-surrogate-key.json", "lone high surrogate", "lone low surrogate", "lone surrogate in key",

        // Deeper than SettingsJson.MaxDepth (512), within Python's recursion limit.
        "depth 513",
    };

    [RequiresFact("python3")]
    public void TryParse_CorpusAndRejections_AcceptWhatPythonAcceptsButTheDocumentedDifferences()
    {
        var inputs = Inputs();
        var python = PythonJson.Judge([.. inputs.Select(i => i.Bytes)]);

        var disagreements = inputs.Zip(python)
            .Where(p => SettingsJson.TryParse(p.First.Bytes, out _, out _) != p.Second.Parses)
            .Select(p => $"{p.First.Name}: python {(p.Second.Parses ? "accepts" : "rejects: " + p.Second.Error)}")
            .ToList();

        Assert.Equal(
            PythonOnly.Order(StringComparer.Ordinal),
            disagreements.Select(d => d[..d.IndexOf(':', StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
        Assert.All(disagreements, d => Assert.Contains("python accepts", d, StringComparison.Ordinal));
    }

    [RequiresFact("python3")]
    public void Serialize_EveryInputBothAccept_IsWhatPythonDumps()
    {
        var inputs = Inputs().Where(i => SettingsJson.TryParse(i.Bytes, out _, out _)).ToList();
        Assert.True(inputs.Count >= 15, $"only {inputs.Count} inputs parse");

        var python = PythonJson.Judge([.. inputs.Select(i => i.Bytes)]);

        foreach (var (input, verdict) in inputs.Zip(python))
        {
            Assert.True(SettingsJson.TryParse(input.Bytes, out var document, out _));
            Assert.True(verdict.Parses, $"{input.Name}: {verdict.Error}");
            Assert.True(verdict.Dumped.AsSpan().SequenceEqual(SettingsJson.Serialize(document!)), $"{input.Name}: differs from json.dumps");
        }
    }

    /// <summary>The hostile corpus, the rejection cases and a few shapes: every input by name.</summary>
    private static List<(string Name, byte[] Bytes)> Inputs()
    {
        var inputs = Corpus.Names.Select(n => (n, Corpus.Read(n))).ToList();
        inputs.AddRange(SettingsJsonTests.Rejections().Select(row => ((string)row[0], (byte[])row[1])));
        inputs.Add(("depth 256", Encoding.UTF8.GetBytes(new string('[', 255) + "{\"k\": \"v\"}" + new string(']', 255))));
        inputs.Add(("escapes", """{"k\u0041y": "\" \\ \/ \b \f \n \r \t \u0000 \u001f \u007f \u00e9 \u2028 \ud83d\ude00 caf\u00e9 ☕", "": []}"""u8.ToArray()));
        inputs.Add(("numbers", "[0, -0, 1.0, 1e5, 1E+05, 1E400, -2.5e-3, 12345678901234567890, 0.10, 1e-400]"u8.ToArray()));
        inputs.Add(("repeated keys", """{"a": 1, "b": {"x": 1, "x": [2]}, "a": {"c": null}}"""u8.ToArray()));
        inputs.Add(("scalars", "  true \r\n"u8.ToArray()));
        return inputs;
    }
}
