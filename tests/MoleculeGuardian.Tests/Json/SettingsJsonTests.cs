using System.Text;
using System.Text.Json.Nodes;
using MoleculeGuardian.Json;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Json;

public sealed class SettingsJsonTests
{
    private const string Secret = "sk-SECRET";

    public static TheoryData<string> PythonFixtures()
    {
        var data = new TheoryData<string>();
        foreach (var input in Directory.GetFiles(RepoPaths.Of("tests", "corpus", "python"), "*.input.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(input)[..^".input.json".Length]);
        }

        return data;
    }

    private static SettingsDocument Parse(byte[] bytes)
    {
        Assert.True(SettingsJson.TryParse(bytes, out var document, out var error), error);
        return document!;
    }

    private static SettingsDocument Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    private static string Error(byte[] bytes)
    {
        Assert.False(SettingsJson.TryParse(bytes, out var document, out var error));
        Assert.Null(document);
        Assert.False(string.IsNullOrWhiteSpace(error));
        return error;
    }

    [Fact]
    public void PythonFixtures_Always_CoverTheCasesTheTestsNeed()
    {
        var names = Directory.GetFiles(RepoPaths.Of("tests", "corpus", "python"), "*.expected.json")
            .Select(p => Path.GetFileName(p)[..^".expected.json".Length])
            .ToHashSet(StringComparer.Ordinal);

        Assert.Superset(new HashSet<string>(["varied", "duplicate-keys", "duplicate-nested", "bom", "real-settings"], StringComparer.Ordinal), names);
        Assert.Equal(names.Count, PythonFixtures().Count);
    }

    [Theory]
    [MemberData(nameof(PythonFixtures))]
    public void Serialize_PythonFixture_MatchesJsonDumpsIndent2ByteForByte(string name)
    {
        // Expected outputs were produced once by tests/corpus/generate.py: json.dumps(json.loads(input), indent=2) + "\n".
        var input = File.ReadAllBytes(RepoPaths.Of("tests", "corpus", "python", name + ".input.json"));
        var expected = File.ReadAllBytes(RepoPaths.Of("tests", "corpus", "python", name + ".expected.json"));

        var actual = SettingsJson.Serialize(Parse(input));

        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(PythonFixtures))]
    public void Serialize_PythonOutput_IsAFixedPoint(string name)
    {
        // What the Python writers produce, the guardian reproduces exactly: neither side rewrites the other's file.
        var expected = File.ReadAllBytes(RepoPaths.Of("tests", "corpus", "python", name + ".expected.json"));

        Assert.Equal(expected, SettingsJson.Serialize(Parse(expected)));
    }

    [Fact]
    public void TryParse_DuplicateKeys_LastValueWinsAtFirstPosition()
    {
        var node = Parse("""{"a":1,"b":2,"a":3}""");

        Assert.Equal("{\n  \"a\": 3,\n  \"b\": 2\n}\n", Encoding.UTF8.GetString(SettingsJson.Serialize(node)));
    }

    [Fact]
    public void TryParse_DuplicateKeySpelledWithEscape_IsTheSameKey()
    {
        var node = JsonNodes.Of(Parse("""{"a":1,"b":2,"\u0061":{"x":[]}}"""));

        Assert.Equal(["a", "b"], node!.AsObject().Select(p => p.Key));
        Assert.Equal("""{"x":[]}""", node["a"]!.ToJsonString());
    }

    [Fact]
    public void TryParse_Utf8Bom_IsAcceptedAndNotWrittenBack()
    {
        var node = Parse([0xEF, 0xBB, 0xBF, .. "{\"k\": \"v\"}"u8]);

        var bytes = SettingsJson.Serialize(node);

        Assert.Equal("{\n  \"k\": \"v\"\n}\n"u8.ToArray(), bytes);
    }

    [Fact]
    public void Serialize_Always_IsUtf8WithoutBomTwoSpacesAndTrailingNewline()
    {
        var bytes = SettingsJson.Serialize(Parse("""{"a":{"b":[1,{}]},"c":"\u00e9"}"""));

        Assert.Equal("{\n  \"a\": {\n    \"b\": [\n      1,\n      {}\n    ]\n  },\n  \"c\": \"\\u00e9\"\n}\n", Encoding.ASCII.GetString(bytes));
        Assert.NotEqual(0xEF, bytes[0]);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1e5")]
    [InlineData("1E+05")]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("12345678901234567890")]
    [InlineData("1E400")]
    [InlineData("0.1000000000000000055511151231257827")]
    public void Serialize_ParsedNumber_KeepsItsOriginalText(string number)
    {
        var node = Parse("{\"n\": [" + number + "]}");

        Assert.Equal("{\n  \"n\": [\n    " + number + "\n  ]\n}\n", Encoding.UTF8.GetString(SettingsJson.Serialize(node)));
    }

    [Theory]
    [InlineData("\u007f", "\\u007f")]
    [InlineData("\u0000", "\\u0000")]
    [InlineData("\u001f", "\\u001f")]
    [InlineData("\u00e9", "\\u00e9")]
    [InlineData("\u00C9", "\\u00c9")]
    [InlineData("\uFFFF", "\\uffff")]
    [InlineData("\U0001F600", "\\ud83d\\ude00")]
    [InlineData("/", "/")]
    [InlineData("<>&'", "<>&'")]
    [InlineData("\"\\", "\\\"\\\\")]
    [InlineData("\b\f\n\r\t", "\\b\\f\\n\\r\\t")]
    public void Serialize_String_EscapesLikeEnsureAscii(string value, string escaped)
    {
        var bytes = SettingsJson.Serialize(new JsonObject { ["k"] = value });

        Assert.Equal("{\n  \"k\": \"" + escaped + "\"\n}\n", Encoding.UTF8.GetString(bytes));
    }

    [Theory]
    [InlineData("{}", "{}\n")]
    [InlineData("[]", "[]\n")]
    [InlineData("null", "null\n")]
    [InlineData("\"s\"", "\"s\"\n")]
    [InlineData("[[]]", "[\n  []\n]\n")]
    public void Serialize_SmallRoots_MatchPython(string json, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(SettingsJson.Serialize(Parse(json))));

    public static TheoryData<string, byte[]> Rejections() => new()
    {
        { "empty", [] },
        { "whitespace", " \n\t\r "u8.ToArray() },
        { "bom only", [0xEF, 0xBB, 0xBF] },
        { "invalid utf-8", [.. "{\"k\": \"sk-SECRET"u8, 0xFF, 0xFE, .. "\"}"u8] },
        { "truncated utf-8", [.. "{\"k\": \"sk-SECRET"u8, 0xC3] },
        { "overlong utf-8", [.. "{\"sk-SECRET\": \""u8, 0xC0, 0xAF, .. "\"}"u8] },
        { "utf-16", Encoding.Unicode.GetBytes("{\"k\": \"sk-SECRET\"}") },
        { "comment", "{\"k\": 1 // sk-SECRET\n}"u8.ToArray() },
        { "block comment", "{/* sk-SECRET */ \"k\": 1}"u8.ToArray() },
        { "trailing comma", "{\"k\": \"sk-SECRET\",}"u8.ToArray() },
        { "trailing comma in array", "{\"k\": [\"sk-SECRET\",]}"u8.ToArray() },
        { "NaN", "{\"sk-SECRET\": NaN}"u8.ToArray() },
        { "Infinity", "{\"sk-SECRET\": Infinity}"u8.ToArray() },
        { "-Infinity", "{\"sk-SECRET\": -Infinity}"u8.ToArray() },
        { "single quotes", "{'k': 'sk-SECRET'}"u8.ToArray() },
        { "unquoted key", "{sk_SECRET: 1, k: \"sk-SECRET\"}"u8.ToArray() },
        { "unterminated string", "{\"k\": \"sk-SECRET"u8.ToArray() },
        { "unterminated object", "{\"k\": \"sk-SECRET\""u8.ToArray() },
        { "lone high surrogate", "{\"k\": \"sk-SECRET\\ud800\"}"u8.ToArray() },
        { "lone low surrogate", "{\"k\": \"\\udc00sk-SECRET\"}"u8.ToArray() },
        { "lone surrogate in key", "{\"sk-SECRET\\ud800\": 1}"u8.ToArray() },
        { "raw control char in string", "{\"k\": \"sk-SECRET\u0001\"}"u8.ToArray() },
        { "NUL after document", "{\"k\": \"sk-SECRET\"}\0"u8.ToArray() },
        { "two documents", "{\"k\": 1} {\"k\": \"sk-SECRET\"}"u8.ToArray() },
        { "garbage after", "{\"k\": 1} sk-SECRET"u8.ToArray() },
        { "bare word", "sk-SECRET"u8.ToArray() },
        { "leading zero", "{\"sk-SECRET\": 01}"u8.ToArray() },
        { "hex number", "{\"sk-SECRET\": 0x10}"u8.ToArray() },
        { "bad escape", "{\"k\": \"sk-SECRET\\x41\"}"u8.ToArray() },
        { "depth 513", Encoding.UTF8.GetBytes(new string('[', 513) + "\"sk-SECRET\"" + new string(']', 513)) },
        { "depth 100000", Encoding.UTF8.GetBytes(new string('[', 100_000) + "\"sk-SECRET\"" + new string(']', 100_000)) },
        { "depth 100000 unclosed", Encoding.UTF8.GetBytes(new string('[', 100_000)) },
        { "deep objects", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"sk-SECRET\":", 20_000))) },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void TryParse_BadInput_FailsWithMessageThatQuotesNoContent(string why, byte[] bytes)
    {
        var error = Error(bytes);

        Assert.DoesNotContain("SECRET", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("sk", error, StringComparison.Ordinal);
        Assert.True(error.Length < 100, $"{why}: {error}");
    }

    [RequiresFact("python3")]
    public void TryParse_Depth256_Parses()
    {
        var node = Parse(new string('[', 255) + "{\"k\": \"v\"}" + new string(']', 255));

        var bytes = SettingsJson.Serialize(node);
        Assert.Equal(bytes, SettingsJson.Serialize(Parse(bytes)));
        PythonJson.AssertFixedPoints([bytes]);
    }

    [Fact]
    public void TryParse_DepthAtTheLimit_ParsesAndOneMoreFails()
    {
        _ = Parse(new string('[', SettingsJson.MaxDepth) + new string(']', SettingsJson.MaxDepth));
        _ = Error(Encoding.UTF8.GetBytes(new string('[', SettingsJson.MaxDepth + 1) + new string(']', SettingsJson.MaxDepth + 1)));
    }

    [Fact]
    public void TryParse_EscapedSurrogatePair_DecodesToOneAstralCharacter()
    {
        var node = JsonNodes.Of(Parse("""{"k": "\ud83d\ude00"}"""));

        Assert.Equal("\U0001F600", (string?)node!["k"]);
    }

    [Fact]
    public void TryParse_EscapedNul_IsAnOrdinaryCharacter()
    {
        var node = JsonNodes.Of(Parse("""{"k": "a\u0000b"}"""));

        Assert.Equal("a\0b", (string?)node!["k"]);
    }

    [Fact]
    public void TryParse_ManyValuesUpToTheCap_ParsesAndOneMoreIsTooMany()
    {
        // [1,1,...]: the array and its items are one token each.
        var bytes = Encoding.ASCII.GetBytes("[" + string.Join(",", Enumerable.Repeat("1", 99)) + "]");

        Assert.True(SettingsJson.TryParse(bytes, 101, out var document, out _, out var failure));
        Assert.Equal(ParseFailure.None, failure);
        Assert.Equal(101, document!.Values);
        Assert.False(SettingsJson.TryParse(bytes, 100, out var none, out var error, out failure));
        Assert.Null(none);
        Assert.Equal(ParseFailure.TooManyValues, failure);
        Assert.Equal("it has more than 100 JSON tokens, more than a heal may hold", error);
    }

    [Fact]
    public void TryParse_TooManyValuesThenASyntaxError_IsTooManyWithoutReadingFurther()
    {
        var bytes = Encoding.ASCII.GetBytes("[" + string.Join(",", Enumerable.Repeat("1", 50)) + ",]");

        Assert.False(SettingsJson.TryParse(bytes, 10, out _, out _, out var failure));

        Assert.Equal(ParseFailure.TooManyValues, failure);
    }

    [Fact]
    public void TryParse_RepeatedKeysAnywhere_AreReportedAndFoldedOnWrite()
    {
        using var flat = Parse("""{"a": {"x": 1, "y": 2}, "b": [{"k": 1}, {"k": 2, "j": 3}]}""");
        using var folded = Parse("""{"a": {"x": 1, "x": 2}}""");

        Assert.False(flat.DuplicateKeys);
        Assert.True(folded.DuplicateKeys);
        Assert.Equal("{\n  \"a\": {\n    \"x\": 2\n  }\n}\n", Encoding.UTF8.GetString(SettingsJson.Serialize(folded)));
    }
}
