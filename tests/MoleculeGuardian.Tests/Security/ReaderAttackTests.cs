using System.Globalization;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;
using Xunit.Abstractions;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// Issue 21, item 1: a reader stopped every heal. The settings file is 0644, so any uid can hold it open (an SRE's
/// <c>tail -f</c>, an editor, a hostile neighbour as <c>nobody</c>); the write lease the guardian took on the file it
/// swapped out was refused while anybody had it open, the file went back, the guardian's own renames woke its watch,
/// and it spun (4–5 s of CPU in 8 s) while the entry stayed out. Here <c>nobody</c> holds the file the next eviction
/// writes, every time, while the built binary heals: as root and as the directory's owner.
/// </summary>
public sealed class ReaderAttackTests : IDisposable
{
    private const int Evictions = 10;
    private static readonly TimeSpan HealWait = TimeSpan.FromSeconds(10);
    private static readonly Dictionary<string, string?> Gate = new() { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" };

    /// <summary>
    /// The guardian's CPU over the evictions, beyond which it is spinning: ten heals, their no-op echoes and the debug
    /// log lines measured 0.2–0.5 s on a loaded machine (JIT tier-up included); the spinning guardian burnt half a core
    /// or more for as long as the reader held the file.
    /// </summary>
    private static readonly TimeSpan CpuBound = TimeSpan.FromSeconds(1.5);

    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _temp = new();
    private readonly string _settings;

    public ReaderAttackTests(ITestOutputHelper output)
    {
        _output = output;
        File.SetUnixFileMode(_temp.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        var dir = OtherUser.MakeDirectory(_temp.Combine(".claude"));
        _settings = Path.Combine(dir, "settings.json");
        File.WriteAllText(_settings, SettingsFiles.WithoutProtected());
        TestPosix.Chown(_settings, OtherUser.Id, OtherUser.Id);
        File.SetUnixFileMode(_settings, (UnixFileMode)Convert.ToInt32("644", 8));
    }

    public void Dispose() => _temp.Dispose();

    [RequiresTheory("setpriv", Root = true)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Run_NobodyHoldsTheFileAtEveryEviction_EachHealedWithoutConflictOrSpin(bool asRoot)
    {
        Requires.AssertRoot();
        string[] run = [OtherUser.GuardianBinary, "run", $"--Guardian:SettingsPath={_settings}", "--Logging:MinimumLevel=Debug"];
        using var guardian = asRoot ? ProcessRunner.Start(run[0], run[1..], Gate) : ProcessRunner.Start(OtherUser.Setpriv, OtherUser.As(run), Gate);
        await Eventually.TrueAsync(() => Healed(guardian.Output) == 1 && SettingsFiles.Complies(_settings), "the startup heal", context: () => guardian.Output);

        // One eviction with nobody reading first: what a first eviction costs (the JIT) is not what is measured.
        SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected(-2));
        await Eventually.TrueAsync(() => Healed(guardian.Output) == 2 && SettingsFiles.Complies(_settings) && SettingsFiles.Generation(_settings) == -2,
            "the warm-up eviction healed", context: () => guardian.Output);
        var cpuBefore = CpuTime(guardian.Id);

        for (var eviction = 1; eviction <= Evictions; eviction++)
        {
            using var reader = await HoldOpenAsNobodyAsync();
            SettingsFiles.WriteInPlace(_settings, SettingsFiles.WithoutProtected(eviction));

            // Healed: the entry back, over this eviction's content, and a Healed event for it (a guardian that keeps
            // putting the file back shows the entry now and then, but never reports a heal).
            var healed = await Eventually.WithinAsync(() => Healed(guardian.Output) == 2 + eviction
                && SettingsFiles.Complies(_settings) && SettingsFiles.Generation(_settings) == eviction, HealWait);
            Assert.True(healed, $"eviction {eviction} not healed within {HealWait.TotalSeconds} s while nobody held the file; "
                + $"guardian CPU so far {(CpuTime(guardian.Id) - cpuBefore).TotalSeconds:0.00} s, conflicts {Conflicts(guardian.Output)}\n{Tail(guardian.Output)}");
            Assert.False(reader.HasExited, "the reader let go of the file before the heal");
        }

        var cpu = CpuTime(guardian.Id) - cpuBefore;
        _output.WriteLine($"{Evictions} evictions healed with nobody holding the file; guardian CPU over them {cpu.TotalMilliseconds:0} ms, "
            + $"conflicts {Conflicts(guardian.Output)}");
        Assert.Equal(0, Conflicts(guardian.Output));
        Assert.True(cpu < CpuBound, $"the guardian used {cpu.TotalSeconds:0.00} s of CPU over {Evictions} heals: spinning?\n{Tail(guardian.Output)}");
        Assert.False(guardian.HasExited, guardian.Output);
    }

    [RequiresTheory("setpriv", Root = true)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Heal_NobodyHoldsTheFile_Exits0AndHealed(bool asRoot)
    {
        Requires.AssertRoot();
        using var reader = await HoldOpenAsNobodyAsync();
        string[] heal = [OtherUser.GuardianBinary, "heal", $"--Guardian:SettingsPath={_settings}"];

        var (code, stdout, stderr) = asRoot
            ? await ProcessRunner.RunAsync(heal[0], heal[1..], Gate)
            : await ProcessRunner.RunAsync(OtherUser.Setpriv, OtherUser.As(heal), Gate);

        Assert.True(code == 0, $"heal exited {code} with nobody holding the file:\n{stdout}\n{stderr}");
        Assert.True(SettingsFiles.Complies(_settings));
        Assert.False(reader.HasExited);
    }

    /// <summary>
    /// <c>nobody</c> (uid 65534) opens the settings file for reading, as it is now, and keeps it open until disposed:
    /// <c>exec 3&lt;settings.json</c> in a shell, then <c>sleep</c> holding the descriptor.
    /// </summary>
    private async Task<ProcessRunner> HoldOpenAsNobodyAsync()
    {
        var inode = TestPosix.Stat(_settings).Inode;
        var reader = ProcessRunner.Start(OtherUser.Setpriv,
            ["--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", "exec 3<\"$0\" && echo held && exec sleep 300", _settings]);
        await Eventually.TrueAsync(() => reader.StandardOutput.Contains("held", StringComparison.Ordinal), "nobody opening the settings file",
            context: () => reader.Output);
        Assert.True(inode == HeldInode(reader.Id), "the settings file changed while nobody was opening it: is the guardian still swapping files?");
        return reader;
    }

    /// <summary>The inode the reader's descriptor 3 refers to, through /proc (opening the magic link opens that very file).</summary>
    private static ulong HeldInode(int pid)
    {
        var fd = $"/proc/{pid}/fd/3";
        using var handle = File.OpenHandle(fd, FileMode.Open, FileAccess.Read);
        return LinuxFileSystemCalls.Instance.FStat(handle, fd).Inode;
    }

    /// <summary>Healed events (id 3): the guardian wrote the file and it stayed its own.</summary>
    private static int Healed(string output) =>
        output.Split('\n').Count(line => line.Contains("\"EventId\":{\"Id\":3,", StringComparison.Ordinal));

    /// <summary>WriteConflict events (id 8): a replace the store gave up because of another writer.</summary>
    private static int Conflicts(string output) =>
        output.Split('\n').Count(line => line.Contains("\"EventId\":{\"Id\":8,", StringComparison.Ordinal));

    /// <summary>utime + stime of a process, from /proc/PID/stat (clock ticks of 10 ms).</summary>
    private static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    private static string Tail(string output) => string.Join('\n', output.Split('\n').TakeLast(20));
}
