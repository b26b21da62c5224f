using System.Diagnostics;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Logging;

/// <summary>
/// In the sidecar container the guardian and the runtime write to one stdout pipe. Here the built binary shares its
/// stdout pipe with a chatty neighbour, a bash loop printing 3,000-byte lines (one write(2) each, like any
/// line-buffered writer) as fast as the pipe takes them, while the test makes the guardian log event after event.
/// Every line that starts with '{' must be a whole JSON event and every other line a whole neighbour line: a log event
/// written in pieces (Console.Out's 256-byte chunks did that) lets neighbour lines land inside it.
/// </summary>
public sealed class SharedStdoutTests : IDisposable
{
    private const int NeighbourLineLength = 3000;
    private const int Evictions = 15;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_StdoutSharedWithAChattyNeighbour_EveryEventLineIsWholeJson()
    {
        // A long settings path makes every event that names it well over 256 bytes, so a chunked writer would need
        // several writes per event.
        var directory = _temp.Combine(new string('d', 200), new string('e', 200), new string('f', 200), ".claude");
        Directory.CreateDirectory(directory);
        var settings = Path.Combine(directory, "settings.json");
        SettingsFiles.WriteInPlace(settings, SettingsFiles.WithoutProtected());
        var launcher = _temp.Combine("with-neighbour");
        var neighbourPidFile = _temp.Combine("neighbour.pid");
        await File.WriteAllTextAsync(launcher, $$"""
            #!/usr/bin/env bash
            line="runtime $(printf '%0{{NeighbourLineLength - "runtime ".Length}}d' 0)"
            while :; do printf '%s\n' "$line"; done &
            echo $! >'{{neighbourPidFile}}'
            exec "$@"

            """);
        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var neighbourLine = "runtime " + new string('0', NeighbourLineLength - "runtime ".Length);

        var startInfo = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { ProcessRunner.GuardianBinary, "run", $"--Guardian:SettingsPath={settings}" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1";
        startInfo.Environment["PATH"] = StubCommands.PathWith(StubCommands.BakedDirectory);
        using var guardian = Process.Start(startInfo)!;
        try
        {
            // Drain the pipe all along (a full pipe would only slow both writers down); keep all but the neighbour's lines.
            var others = new List<string>();
            var neighbourLines = 0;
            var reader = Task.Run(async () =>
            {
                while (await guardian.StandardOutput.ReadLineAsync() is { } line)
                {
                    if (line == neighbourLine)
                    {
                        Interlocked.Increment(ref neighbourLines);
                    }
                    else
                    {
                        others.Add(line);
                    }
                }
            });

            // Evictions, each healed (seen in the file, not in the log under test) before the next.
            await Eventually.TrueAsync(() => HoldsEntry(settings), "the startup heal");
            for (var i = 1; i <= Evictions; i++)
            {
                SettingsFiles.WriteInPlace(settings, SettingsFiles.WithoutProtected(i));
                await Eventually.TrueAsync(() => HoldsEntry(settings), $"heal {i}");
            }

            // Stop both writers; the reader ends when the pipe closes.
            Posix.Kill(int.Parse(File.ReadAllText(neighbourPidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture), Posix.SigKill);
            Posix.Kill(guardian.Id, Posix.SigTerm);
            await reader.WaitAsync(TimeSpan.FromSeconds(30));

            var events = others.Where(line => line.StartsWith('{')).ToList();
            var unparsable = events.Where(line => !JsonLines.IsWholeJson(line)).ToList();
            var torn = others.Where(line => !line.StartsWith('{')).ToList();
            Assert.True(unparsable.Count == 0 && torn.Count == 0,
                $"{unparsable.Count} of {events.Count} event lines do not parse, {torn.Count} other lines are torn; first: {Abbreviate(unparsable.Concat(torn).FirstOrDefault())}");
            var heals = events.Where(line => line.Contains("\"Name\":\"Healed\"", StringComparison.Ordinal)).ToList();
            Assert.Equal(1 + Evictions, heals.Count);
            Assert.True(heals.All(line => line.Length > 2 * 256), "each heal event should take several 256-byte chunks");
            Assert.True(neighbourLines > Evictions, $"the neighbour was not chatty: {neighbourLines} lines");
        }
        finally
        {
            guardian.Kill(entireProcessTree: true);
            await guardian.WaitForExitAsync();
        }
    }

    /// <summary>
    /// strace counts the write(2) calls on stdout: exactly one per event, each of exactly one whole line.
    /// </summary>
    [RequiresFact("strace")]
    public async Task Run_EachEvent_IsOneWriteOfOneWholeLine()
    {
        var strace = Deploy.RequiredTool.Find("strace", "strace");
        var settings = _temp.SettingsPath();
        SettingsFiles.WriteInPlace(settings, SettingsFiles.WithoutProtected());
        var trace = _temp.Combine("trace");
        using var guardian = ProcessRunner.Start(strace, ["-f", "-qq", "-e", "trace=write", "-e", "signal=none", "-o", trace,
            ProcessRunner.GuardianBinary, "run", $"--Guardian:SettingsPath={settings}"], new Dictionary<string, string?> { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" });
        await Eventually.TrueAsync(() => guardian.StandardOutput.Contains("\"Name\":\"Healed\"", StringComparison.Ordinal), "the startup heal");
        SettingsFiles.WriteInPlace(settings, SettingsFiles.WithoutProtected(1));
        await Eventually.TrueAsync(() => guardian.StandardOutput.Contains("\"Trigger\":\"Watch\"", StringComparison.Ordinal), "a second heal");

        Posix.Kill(int.Parse(await FindGuardianPidAsync(guardian.Id), System.Globalization.CultureInfo.InvariantCulture), Posix.SigTerm);
        Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(10)));

        var lines = guardian.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var writes = File.ReadAllLines(trace)
            // .NET's standard stream writes to its own duplicate of descriptor 1: the events are the writes of a '{'.
            .Select(line => System.Text.RegularExpressions.Regex.Match(line, @"write\(\d+, ""\{.*\) = (\d+)$"))
            .Where(match => match.Success)
            .Select(match => int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(lines.Length >= 4, $"expected Started, two Healed and Stopping, got {lines.Length} lines");
        Assert.Equal(lines.Select(line => System.Text.Encoding.UTF8.GetByteCount(line) + 1), writes);
    }

    /// <summary>The guardian is strace's child: the one process whose parent is strace.</summary>
    private static async Task<string> FindGuardianPidAsync(int stracePid)
    {
        string? pid = null;
        await Eventually.TrueAsync(() => (pid = Directory.GetDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name is not null && name.All(char.IsAsciiDigit))
            .FirstOrDefault(name => ParentOf(name!) == stracePid)) is not null, "the guardian under strace");
        return pid!;
    }

    private static int ParentOf(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static bool HoldsEntry(string path)
    {
        try
        {
            return File.ReadAllText(path).Contains("\"molecule-platform\"", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Abbreviate(string? line) =>
        line is null ? "(none)" : line.Length <= 300 ? line : $"{line[..150]} ... {line[^150..]} ({line.Length} chars)";
}
