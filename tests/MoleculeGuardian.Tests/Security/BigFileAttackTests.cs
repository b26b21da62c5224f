using System.Text;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;
using Xunit.Abstractions;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// Issue 21, item 2: a big settings file under the unit's <c>MemoryMax=64M</c>. Every number and object became a node,
/// so one heal of a 1 MiB file of numbers peaked near 2 GiB: under the limit every heal failed with
/// OutOfMemoryException and the process then died (SIGSEGV). Here the built binary heals as the file's owner in a
/// 64 MiB memory cgroup (or, where none can be made, against its own peak RSS): a file of too many values is refused
/// with its reason and left byte for byte, one of big strings near <c>MaxFileBytes</c> is healed, nothing is killed.
/// </summary>
public sealed class BigFileAttackTests(ITestOutputHelper output) : IDisposable
{
    private const long MemoryLimit = 64L * 1024 * 1024;
    private static readonly Dictionary<string, string?> Gate = new() { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" };
    private readonly TempDirectory _temp = SearchableByAll(new TempDirectory());

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Crowded => ["numbers", "objects"];

    [RequiresTheory("setpriv", Root = true)]
    [MemberData(nameof(Crowded))]
    public async Task Heal_OneMiBOfValuesUnder64MiB_RefusedWithItsReasonAndLeftAsItWas(string kind)
    {
        Requires.AssertRoot();
        var settings = Settings();
        var content = OneMiB(kind == "numbers" ? "1" : "{}");
        File.WriteAllText(settings, content);

        var (exitCode, stdout, stderr, evidence, withinLimit) = await HealUnderLimitAsync(settings);

        output.WriteLine($"{kind}: exit {exitCode}; {evidence}\n{stdout}");
        Assert.True(withinLimit, $"over {MemoryLimit >> 20} MiB: {evidence}");
        Assert.True(exitCode == 1, $"exit {exitCode} (1: refused; 134/139: crashed)\n{stderr}");
        Assert.Contains("too complex for a heal", stderr, StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllText(settings));
    }

    [RequiresFact("setpriv", Root = true)]
    public async Task Heal_ThreeAndAHalfMiBOfStringsUnder64MiB_Healed()
    {
        Requires.AssertRoot();
        var settings = Settings();
        var value = new string('x', 1020);
        var builder = new StringBuilder("{\"hooks\": [");
        while (builder.Length < (7 << 19)) // 3.5 MiB: what it writes, indented as Python does, stays under MaxFileBytes (4 MiB)
        {
            builder.Append('"').Append(value).Append("\", ");
        }

        File.WriteAllText(settings, builder.Append("\"end\"]}").ToString());

        var (exitCode, _, stderr, evidence, withinLimit) = await HealUnderLimitAsync(settings);

        output.WriteLine($"strings: exit {exitCode}; {evidence}");
        Assert.True(withinLimit, $"over {MemoryLimit >> 20} MiB: {evidence}");
        Assert.True(exitCode == 0, $"exit {exitCode}\n{stderr}");
        Assert.True(SettingsFiles.Complies(settings));
    }

    /// <summary>About 1 MiB of <c>{"hooks": [v, v, ...]}</c>: half a million values, past the token cap.</summary>
    private static string OneMiB(string value)
    {
        var builder = new StringBuilder("{\"hooks\": [");
        while (builder.Length < 1 << 20)
        {
            builder.Append(value).Append(", ");
        }

        return builder.Append(value).Append("]}").ToString();
    }

    private string Settings()
    {
        var directory = OtherUser.MakeDirectory(_temp.Combine("home", ".claude"));
        var settings = Path.Combine(directory, "settings.json");
        File.WriteAllText(settings, "{}");
        TestPosix.Chown(settings, OtherUser.Id, OtherUser.Id);
        return settings;
    }

    /// <summary>The guardian acts as uid 1000, which must reach the settings directory inside the temp directory.</summary>
    private static TempDirectory SearchableByAll(TempDirectory temp)
    {
        File.SetUnixFileMode(temp.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        return temp;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr, string Evidence, bool WithinLimit)> HealUnderLimitAsync(string settings)
    {
        using var limit = CgroupMemoryLimit.TryCreate(MemoryLimit);
        string[] heal = [OtherUser.Setpriv, .. OtherUser.As(OtherUser.GuardianBinary, "heal", $"--Guardian:SettingsPath={settings}")];
        var (exitCode, stdout, stderr) = await ProcessRunner.RunAsync((limit?.Wrap(heal) ?? heal)[0], (limit?.Wrap(heal) ?? heal)[1..], Gate);
        return limit is { } cgroup
            ? (exitCode, stdout, stderr, $"cgroup limit {MemoryLimit >> 20} MiB: max usage {cgroup.MaxUsage / (1024.0 * 1024):0.0} MiB, "
                + $"failcnt {cgroup.FailCount}, oom_kill {cgroup.OomKills}", cgroup.OomKills == 0)
            : (exitCode, stdout, stderr, "no memory cgroup could be made (peak RSS is not readable after exit): exit status only", true);
    }
}
