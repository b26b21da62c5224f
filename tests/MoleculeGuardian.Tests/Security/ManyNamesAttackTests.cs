using System.Globalization;
using System.Text.Json;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;
using Xunit.Abstractions;

namespace MoleculeGuardian.Tests.Security;

/// <summary>
/// Issue 21, item 2: a million names in the settings directory. Its owner can make them, and the guardian listed them
/// into memory: under the unit's <c>MemoryMax=64M</c> the start-up temp sweep ran out of memory ("Hosting failed to
/// start", so systemd restart-looped a guardian that never healed), and with 300,000 names each quarantine heal took a
/// third of a second instead of a few ms. Here the built binary runs as the directory's owner under a 64 MiB memory
/// cgroup (or, where none can be made, against its own peak RSS), among a million names and, for comparison, in an
/// empty directory of the same file system: it starts, heals and quarantine-heals in both. The heal times of both are
/// printed side by side as evidence, not asserted (a busy machine moves them by more than the difference looked
/// for); that a quarantine lists nothing, whatever the directory holds, is asserted exactly with the system-call seam
/// (<see cref="Files.QuarantinePruneBoundTests"/>).
/// </summary>
public sealed class ManyNamesAttackTests : IDisposable
{
    private const int Names = 1_000_000;
    private const long MemoryLimit = 64L * 1024 * 1024;
    private const int QuarantineHeals = 5;
    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(90);
    private static readonly Dictionary<string, string?> Gate = new() { ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1" };
    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _temp = new();
    private readonly string _mount;
    private readonly bool _mounted;

    public ManyNamesAttackTests(ITestOutputHelper output)
    {
        _output = output;
        File.SetUnixFileMode(_temp.Path, (UnixFileMode)Convert.ToInt32("755", 8));

        // A tmpfs of its own makes a million names in seconds and takes them away at once (unmounted); /dev/shm or
        // /tmp where it cannot be mounted. The comparison directory is on the same file system.
        _mount = _temp.Combine("fs");
        Directory.CreateDirectory(_mount);
        _mounted = Requires.IsRoot && Tool("mount", "-t", "tmpfs", "-o", "mode=0755,size=64m", "tmpfs", _mount) == 0;
    }

    public void Dispose()
    {
        if (_mounted && Tool("umount", _mount) != 0)
        {
            _ = Tool("umount", "-l", _mount);
        }

        _temp.Dispose();
    }

    [RequiresFact("setpriv", Root = true)]
    public async Task Run_AMillionNamesUnder64MiB_StartsHealsAndQuarantines()
    {
        Requires.AssertRoot();
        using var shm = _mounted ? null : new MemoryTempDirectory();
        var root = _mounted ? _mount : shm!.Path;
        var crowded = Settings(Path.Combine(root, "crowded"));
        var empty = Settings(Path.Combine(root, "empty"));
        var made = MakeNames(Path.GetDirectoryName(crowded)!);

        var without = await RunGuardianAsync(empty);
        var among = await RunGuardianAsync(crowded);

        _output.WriteLine($"{Names:N0} names made in {made.TotalSeconds:0.0} s on {(_mounted ? "a tmpfs of the test's own" : root)}; memory evidence: {among.Evidence}");
        _output.WriteLine($"empty directory:   {without}");
        _output.WriteLine($"among the names:   {among}");
        Assert.True(among.Errors.Count == 0, "errors among the names:\n" + string.Join('\n', among.Errors));
        Assert.True(among.WithinLimit, $"over {MemoryLimit / (1024 * 1024)} MiB among the names: {among.Evidence}");
        Assert.True(without.Errors.Count == 0 && without.WithinLimit, $"the empty directory's run went wrong: {without}");
    }

    /// <summary>
    /// Starts the guardian as uid 1000 on <paramref name="settings"/> under the memory limit, waits for the startup
    /// heal, heals one eviction and <see cref="QuarantineHeals"/> drifted entries (each quarantined first), then stops it.
    /// </summary>
    private static async Task<Scenario> RunGuardianAsync(string settings)
    {
        using var limit = CgroupMemoryLimit.TryCreate(MemoryLimit);
        string[] run = [OtherUser.Setpriv, .. OtherUser.As(OtherUser.GuardianBinary, "run", $"--Guardian:SettingsPath={settings}")];
        var command = limit?.Wrap(run) ?? run;
        var durations = new List<TimeSpan>();
        string output;
        long? hwm;
        TimeSpan started;
        using (var guardian = ProcessRunner.Start(command[0], command[1..], Gate))
        {
            var t0 = DateTime.UtcNow;
            await Eventually.TrueAsync(() => SettingsFiles.Complies(settings) || guardian.HasExited, "the startup heal", StartWait, () => guardian.Output);
            started = DateTime.UtcNow - t0;
            Assert.False(guardian.HasExited, $"the guardian exited at start ({settings}):\n{guardian.Output}");

            SettingsFiles.WriteInPlace(settings, SettingsFiles.WithoutProtected(1));
            await Eventually.TrueAsync(() => SettingsFiles.Complies(settings) && SettingsFiles.Generation(settings) == 1, "the eviction healed",
                context: () => guardian.Output);

            for (var i = 1; i <= QuarantineHeals; i++)
            {
                SettingsFiles.WriteInPlace(settings, SettingsFiles.WithImpostor());
                await Eventually.TrueAsync(() => Events(guardian.Output, 6).Count == i && SettingsFiles.Complies(settings)
                    && Events(guardian.Output, 3).Count == i + 2, $"quarantine heal {i}", context: () => guardian.Output);
                durations.Add(TimeSpan.FromMilliseconds(Events(guardian.Output, 3)[^1].GetProperty("DurationMs").GetDouble()));
            }

            hwm = PeakRss(guardian.Id);
            Assert.False(guardian.HasExited, guardian.Output);
            guardian.Signal(Posix.SigTerm);
            Assert.Equal(0, await guardian.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            output = guardian.Output;
        }

        // The impostor this test writes to make each quarantine is reported as an error on purpose; anything else is not.
        var errors = output.Split('\n').Where(line => (line.Contains("\"@l\":\"Error\"", StringComparison.Ordinal)
            || line.Contains("\"@l\":\"Fatal\"", StringComparison.Ordinal) || line.Contains("Hosting failed", StringComparison.Ordinal))
            && !line.Contains("\"Name\":\"ImpostorEntry\"", StringComparison.Ordinal)).ToList();
        return limit is { } cgroup
            ? new Scenario(started, durations, errors, cgroup.OomKills == 0,
                $"cgroup memory.limit_in_bytes {MemoryLimit / (1024 * 1024)} MiB: max usage {cgroup.MaxUsage / (1024.0 * 1024):0.0} MiB, "
                + $"failcnt {cgroup.FailCount}, oom_kill {cgroup.OomKills}; VmHWM {hwm / 1024.0:0.0} MiB")
            : new Scenario(started, durations, errors, hwm * 1024 <= MemoryLimit,
                $"no memory cgroup could be made: VmHWM {hwm / 1024.0:0.0} MiB against {MemoryLimit / (1024 * 1024)} MiB");
    }

    /// <summary>The settings directory (uid 1000's) with a file that lacks the entry; the file's path.</summary>
    private static string Settings(string directory)
    {
        var settings = Path.Combine(OtherUser.MakeDirectory(directory), "settings.json");
        File.WriteAllText(settings, SettingsFiles.WithoutProtected());
        TestPosix.Chown(settings, OtherUser.Id, OtherUser.Id);
        return settings;
    }

    /// <summary>A million names in <paramref name="directory"/>: hard links to one file, the cheapest name there is.</summary>
    private static TimeSpan MakeNames(string directory)
    {
        var started = DateTime.UtcNow;
        var seed = Path.Combine(directory, "n-seed");
        File.WriteAllText(seed, "");
        for (var i = 0; i < Names; i++)
        {
            TestPosix.HardLink(seed, Path.Combine(directory, "n" + i.ToString("D7", CultureInfo.InvariantCulture)));
        }

        return DateTime.UtcNow - started;
    }

    /// <summary>The CLEF lines of one event id, parsed.</summary>
    private static List<JsonElement> Events(string output, int id) =>
        [.. output.Split('\n').Where(line => line.Contains($"\"EventId\":{{\"Id\":{id},", StringComparison.Ordinal))
            .Select(line => JsonDocument.Parse(line).RootElement)];

    /// <summary>VmHWM of a process, in KiB.</summary>
    private static long? PeakRss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private static int Tool(string name, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(name, arguments)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    private sealed record Scenario(TimeSpan Started, List<TimeSpan> Quarantines, List<string> Errors, bool WithinLimit, string Evidence)
    {
        public override string ToString() =>
            $"start to healed {Started.TotalMilliseconds:0} ms; quarantine heals (ms): {string.Join(", ", Quarantines.Select(q => q.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)))}; "
            + $"errors {Errors.Count}; {Evidence}";
    }
}
