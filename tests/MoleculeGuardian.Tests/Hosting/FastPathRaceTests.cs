using System.Text;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Hosting;

/// <summary>
/// The guardian heals at once, so it now reads the file while the runtime's writers are still writing it. Each round
/// here catches it doing exactly that (the writer waits for the guardian's own torn-read event before it goes on), and
/// checks that nothing was repaired from the torn file and the writer's content survived.
/// </summary>
public sealed class FastPathRaceTests
{
    private const int Rounds = 20;

    [Fact]
    public async Task TruncateThenWrite_GuardianReadsInBetween_HealsFromTheWholeFileOnly()
    {
        await using var guardian = await StartAsync();
        for (var round = 1; round <= Rounds; round++)
        {
            // Every other round keeps the entry: the guardian must then write nothing at all.
            var keep = round % 2 == 0;
            var content = Encoding.UTF8.GetBytes(keep ? WithEntry(round) : SettingsFiles.WithoutProtected(round));
            var heals = guardian.Heals;
            var torn = TornReads(guardian);

            using (var writer = TestPosix.OpenTruncate(guardian.SettingsPath))
            {
                await Eventually.TrueAsync(() => TornReads(guardian) > torn, $"round {round}: the guardian to read the truncated file");
                RandomAccess.Write(writer, content, 0);
            }

            await WaitSettledAsync(guardian, round, keep ? heals : heals + 1);
            Assert.Equal(keep ? heals : heals + 1, guardian.Heals);
        }

        AssertNothingQuarantined(guardian);
    }

    [Fact]
    public async Task LargeFileWrittenInChunks_GuardianReadsEveryPartialFile_NeverRepairsFromOne()
    {
        // Python's buffered writer flushes 8 KiB at a time; a 64 KiB settings file is eight partial files in a row.
        await using var guardian = await StartAsync();
        for (var round = 1; round <= 4; round++)
        {
            var content = Encoding.UTF8.GetBytes(Padded(SettingsFiles.WithoutProtected(round), 64 * 1024));
            var heals = guardian.Heals;
            using (var writer = TestPosix.OpenTruncate(guardian.SettingsPath))
            {
                for (var offset = 0; offset < content.Length; offset += 8192)
                {
                    var torn = TornReads(guardian);
                    RandomAccess.Write(writer, content.AsSpan(offset, Math.Min(8192, content.Length - offset)), offset);
                    if (offset + 8192 < content.Length)
                    {
                        await Eventually.TrueAsync(() => TornReads(guardian) > torn, $"round {round}: the guardian to read the file cut at {offset + 8192}");
                    }
                }
            }

            await WaitSettledAsync(guardian, round, heals + 1);
        }

        AssertNothingQuarantined(guardian);
    }

    private static async Task<GuardianHostHarness> StartAsync()
    {
        var guardian = new GuardianHostHarness();
        SettingsFiles.WriteInPlace(guardian.SettingsPath, WithEntry(0));

        // A settle delay no slow test machine reaches: a file is never judged corrupt while a round is writing it.
        await guardian.StartAsync(settings: new() { ["Guardian:SettleDelay"] = "5m" });
        return guardian;
    }

    private static int TornReads(GuardianHostHarness guardian) => guardian.Log.Count("\"Name\":\"TornRead\"");

    private static async Task WaitSettledAsync(GuardianHostHarness guardian, int round, int heals)
    {
        await Eventually.TrueAsync(
            () => guardian.Heals >= heals && SettingsFiles.Complies(guardian.SettingsPath) && SettingsFiles.Generation(guardian.SettingsPath) == round,
            $"round {round}: the writer's file, with the entry", context: () => guardian.Log.Text);
        Assert.Contains("image-gen", File.ReadAllText(guardian.SettingsPath), StringComparison.Ordinal);
    }

    private static void AssertNothingQuarantined(GuardianHostHarness guardian)
    {
        Assert.Empty(Directory.GetFiles(guardian.Directory, "settings.json.corrupt-*"));
        Assert.Empty(Directory.GetFiles(guardian.Directory, "settings.json.replaced-*"));
        Assert.Empty(TestPosix.GuardianTemps(guardian.SettingsPath));
    }

    private static string WithEntry(int generation) => SettingsFiles.WithoutProtected(generation).Replace(
        "\"mcpServers\": {",
        "\"mcpServers\": {\n    \"molecule-platform\": {\"command\": \"molecule-platform-mcp\", \"env\": {\"MOLECULE_MCP_MODE\": \"management\"}},",
        StringComparison.Ordinal);

    /// <summary>The document with a "padding" string that brings it to about <paramref name="size"/> bytes.</summary>
    private static string Padded(string document, int size) =>
        document.Insert(document.IndexOf('{', StringComparison.Ordinal) + 1, $"\n  \"padding\": \"{new string('p', size)}\",");
}
