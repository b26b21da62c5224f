using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using MoleculeGuardian.Watching;

namespace MoleculeGuardian.Tests.Watching;

/// <summary>The probe's cadence on a fake clock: slow with events (idle CPU), fast when polling or waiting.</summary>
public sealed class SettingsWatcherCadenceTests : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DirectoryCheck = TimeSpan.FromSeconds(5);
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new();
    private readonly ConcurrentQueue<WatchSignal> _signals = new();
    private readonly string _path;

    public SettingsWatcherCadenceTests()
    {
        _path = _temp.SettingsPath();
    }

    public void Dispose() => _temp.Dispose();

    private SettingsWatcher Start(WatchMode mode)
    {
        var options = TestHealers.Options(_path, o =>
        {
            o.Watch = mode;
            o.PollInterval = Poll;
            o.DirectoryCheckInterval = DirectoryCheck;
        });
        // The events themselves are other tests' business: a watcher on a quiet directory isolates the probe, whatever
        // a runtime's watcher does when its directory is deleted.
        var quiet = Directory.CreateDirectory(_temp.Combine("quiet")).FullName;
        var watcher = new SettingsWatcher(_path, TestHealers.IdentityStep(_path), LinuxFileSystemCalls.Instance, options, _time, new TestLog(), _signals.Enqueue,
            _ => new FileSystemWatcher(quiet));
        watcher.Start();
        return watcher;
    }

    private void ReplaceDirectory()
    {
        var dir = Path.GetDirectoryName(_path)!;
        Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
    }

    [Fact]
    public void WithEvents_ReplacedDirectory_IsNoticedAtTheDirectoryCheckNotThePollInterval()
    {
        using var watcher = Start(WatchMode.Events);
        Assert.Equal(WatchState.Events, watcher.State);
        ReplaceDirectory();

        _time.Advance(DirectoryCheck - TimeSpan.FromMilliseconds(1));
        Assert.DoesNotContain(WatchSignal.Rescan, _signals);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Contains(WatchSignal.Rescan, _signals);
        Assert.Equal(WatchState.Events, watcher.State);
    }

    [Fact]
    public void Polling_FileChange_IsNoticedAtThePollInterval()
    {
        using var watcher = Start(WatchMode.Poll);
        Assert.Equal(WatchState.Polling, watcher.State);
        SettingsFiles.WriteInPlace(_path, "{}");

        _time.Advance(Poll);

        Assert.Contains(WatchSignal.Changed, _signals);
    }

    [Fact]
    public void WaitingForDirectory_IsCheckedAtThePollInterval_ThenSlowsDownOnceWatching()
    {
        Directory.Delete(Path.GetDirectoryName(_path)!);
        using var watcher = Start(WatchMode.Events);
        Assert.Equal(WatchState.WaitingForDirectory, watcher.State);

        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _time.Advance(Poll);
        Assert.Equal(WatchState.Events, watcher.State);
        Assert.Single(_signals);

        // Watching now: a replaced directory waits for the slower check.
        ReplaceDirectory();
        _time.Advance(Poll);
        Assert.Single(_signals);
        _time.Advance(DirectoryCheck - Poll);
        Assert.Equal(2, _signals.Count(s => s == WatchSignal.Rescan));
    }
}
