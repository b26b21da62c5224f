using System.Diagnostics;
using System.Text;

namespace MoleculeGuardian.Tests.Support;

/// <summary>What Python's <c>json</c> made of one document: whether it loads, and its <c>json.dumps(indent=2) + "\n"</c>.</summary>
internal sealed record PythonVerdict(bool Parses, byte[] Dumped, string Error);

/// <summary>
/// Python's own <c>json</c> module, through the real <c>python3</c>, as a judge of <c>SettingsJson</c> that shares no
/// code with it: a test that parses what the product wrote with the product's parser proves only that the two agree
/// with each other. One interpreter judges a whole batch. Bytes are decoded as UTF-8 with an optional BOM (what the
/// guardian claims to accept), then <c>json.loads</c>; numbers keep their original text (the guardian's one documented
/// difference from <c>json.dumps</c>), everything else (escaping, indentation, key order, repeated keys) is Python's.
/// </summary>
internal static class PythonJson
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    // Numbers load as a tagged placeholder string and are put back as their exact text after the dump.
    private const string Script = """
        import base64, json, re, sys, uuid
        tag = "\x00" + uuid.uuid4().hex + ":"
        quoted = re.compile('"' + re.escape(json.dumps(tag)[1:-1]) + '([0-9]+)"')
        out = []
        for line in sys.stdin.read().split("\n")[:-1]:
            numbers = []
            def keep(text):
                numbers.append(text)
                return tag + str(len(numbers) - 1)
            try:
                doc = json.loads(base64.b64decode(line).decode("utf-8-sig"), parse_int=keep, parse_float=keep, parse_constant=keep)
                text = quoted.sub(lambda m: numbers[int(m.group(1))], json.dumps(doc, indent=2) + "\n")
                out.append("ok " + base64.b64encode(text.encode("utf-8")).decode("ascii"))
            except Exception as e:
                out.append("error " + type(e).__name__ + ": " + str(e).replace("\n", " "))
        sys.stdout.write("\n".join(out) + "\n")
        """;

    public static PythonVerdict Judge(byte[] document) => Judge([document])[0];

    public static IReadOnlyList<PythonVerdict> Judge(IReadOnlyList<byte[]> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var startInfo = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(Script);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("python3 did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        foreach (var document in documents)
        {
            process.StandardInput.Write(Convert.ToBase64String(document) + "\n");
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill();
            Assert.Fail($"python3 did not judge {documents.Count} documents within {Timeout.TotalSeconds} s");
        }

        var lines = stdout.GetAwaiter().GetResult().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(process.ExitCode == 0 && lines.Length == documents.Count,
            $"python3 exited {process.ExitCode} with {lines.Length} verdicts for {documents.Count} documents: {stderr.GetAwaiter().GetResult()}");
        return [.. lines.Select(l => l.StartsWith("ok ", StringComparison.Ordinal)
            ? new PythonVerdict(true, Convert.FromBase64String(l[3..]), "")
            : new PythonVerdict(false, [], l["error ".Length..]))];
    }

    /// <summary>Fails unless Python loads every document and dumps each back to exactly the same bytes.</summary>
    public static void AssertFixedPoints(IReadOnlyList<byte[]> documents)
    {
        var verdicts = Judge(documents);
        for (var i = 0; i < documents.Count; i++)
        {
            Assert.True(verdicts[i].Parses, $"Python cannot load document {i}: {verdicts[i].Error}\n{Encoding.UTF8.GetString(documents[i])}");
            Assert.Equal(Encoding.UTF8.GetString(documents[i]), Encoding.UTF8.GetString(verdicts[i].Dumped));
        }
    }
}
