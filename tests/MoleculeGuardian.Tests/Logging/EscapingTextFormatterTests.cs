using System.Globalization;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Logging;
using Serilog.Extensions.Logging;

namespace MoleculeGuardian.Tests.Logging;

/// <summary>
/// The text log format: no logged value can start a line of its own or drive a terminal; exception text keeps its
/// lines, every one after the first indented. The JSON format escapes control characters too.
/// </summary>
public sealed class EscapingTextFormatterTests
{
    private const string Hostile = "a\nb\r\u001b[31mred\u2028";
    private const string HostileEscaped = @"a\nb\r\x1b[31mred\u2028";

    [Fact]
    public void Format_ValueWithControlCharacters_OneLineWithLiteralEscapes()
    {
        var output = Render(LogFormat.Text, log => Log.Refused(log, "/configs/.claude/settings.json", Hostile));

        Assert.EndsWith("\n", output, StringComparison.Ordinal);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"Refusing to touch /configs/.claude/settings.json: {HostileEscaped}; leaving it as it is", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\r', output);
        Assert.DoesNotContain('\u2028', output);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ERR Refusing", output);
    }

    [Fact]
    public void Format_ControlCharactersInEveryProperty_AllEscaped()
    {
        var output = Render(LogFormat.Text, log => Log.Refused(log, "/configs/\n.claude/settings.json", "tab\there"));

        Assert.Contains(@"/configs/\n.claude/settings.json: tab\there;", output, StringComparison.Ordinal);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Format_PlainString_Unchanged()
    {
        var output = Render(LogFormat.Text, log => Log.Refused(log, "/configs/.claude/settings.json", "the settings path is a FIFO"));

        Assert.Contains("Refusing to touch /configs/.claude/settings.json: the settings path is a FIFO; leaving it as it is and checking again later\n",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_ExceptionWithMultiLineMessage_EveryExceptionLineIndentedFourSpaces()
    {
        var exception = new InvalidOperationException("first line\nsecond line\r\nthird \u001b[2J line");

        var output = Render(LogFormat.Text, log => Log.HealLoopFailed(log, exception, HealTrigger.Watch));

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ERR A heal failed", lines[0]);
        Assert.Contains("Watch", lines[0], StringComparison.Ordinal);
        Assert.Equal(
            ["    System.InvalidOperationException: first line", "    second line", @"    third \x1b[2J line"],
            lines[1..]);
        Assert.DoesNotContain('\r', output);
        Assert.DoesNotContain('\u001b', output);
    }

    [Fact]
    public void Format_ThrownExceptionWithStackTrace_NoLineStartsUnindented()
    {
        Exception caught;
        try
        {
            throw new InvalidOperationException("boom\nINF forged event");
        }
        catch (InvalidOperationException ex)
        {
            caught = ex;
        }

        var output = Render(LogFormat.Text, log => Log.HealLoopFailed(log, caught, HealTrigger.Periodic));

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 4, output);
        Assert.All(lines[1..], l => Assert.StartsWith("    ", l, StringComparison.Ordinal));
        Assert.Contains("    INF forged event", lines);
    }

    [Theory]
    [InlineData("\t", @"\t")]
    [InlineData("\u0000", @"\x00")]
    [InlineData("\u007f", @"\x7f")]
    [InlineData("\u0085", @"\x85")]
    [InlineData("\u009b", @"\x9b")]
    [InlineData("\u2029", @"\u2029")]
    [InlineData("\u202e", @"\u202e")]
    [InlineData("\u200b", @"\u200b")]
    [InlineData("\ufeff", @"\ufeff")]
    [InlineData("é ü 中", "é ü 中")]
    public void Escape_Character_WrittenAsItsEscape(string text, string expected) =>
        Assert.Equal("<" + expected + ">", EscapingTextFormatter.Escape("<" + text + ">"));

    [Fact]
    public void Escape_NothingToEscape_SameInstance()
    {
        var text = "plain text, with unicode é";

        Assert.Same(text, EscapingTextFormatter.Escape(text));
    }

    [Fact]
    public void JsonFormat_SameEvent_NoRawControlCharacters()
    {
        var output = Render(LogFormat.Json, log => Log.Refused(log, "/configs/.claude/settings.json", Hostile));

        Assert.EndsWith("\n", output, StringComparison.Ordinal);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(line, char.IsControl);
        var json = System.Text.Json.JsonDocument.Parse(line);
        Assert.Equal(Hostile, json.RootElement.GetProperty("Reason").GetString());
    }

    [Fact]
    public void JsonFormat_C1ControlAndDelete_NoRawControlCharacters()
    {
        var output = Render(LogFormat.Json, log => Log.Refused(log, "/configs/\u0085.claude/settings.json", "x\u009b2Jy\u007f"));

        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(line, char.IsControl);
    }

    [Fact]
    public void JsonFormat_ExceptionWithMultiLineMessage_OneLineNoRawControlCharacters()
    {
        var output = Render(LogFormat.Json, log => Log.HealLoopFailed(log, new InvalidOperationException("a\nb\r\u001b"), HealTrigger.Watch));

        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(line, char.IsControl);
    }

    private static string Render(LogFormat format, Action<ILogger> write)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        using (var logger = new LoggingOptions { Format = format }.CreateLogger(writer))
        using (var factory = new SerilogLoggerFactory(logger))
        {
            write(factory.CreateLogger("MoleculeGuardian.Tests"));
        }

        return writer.ToString();
    }
}
