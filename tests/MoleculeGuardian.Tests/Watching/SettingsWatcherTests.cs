using System.Collections.Concurrent;
using System.Reflection;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Files;
using MoleculeGuardian.Tests.Support;
using MoleculeGuardian.Watching;

namespace MoleculeGuardian.Tests.Watching;

/// <summary>The real watcher (inotify through FileSystemWatcher) on a real directory.</summary>
public sealed class SettingsWatcherTests : IDisposable
{
    private static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Manual = TimeSpan.FromHours(1);
    private readonly TempDirectory _temp = new();
    private readonly string _path;
    private readonly string _dir;
    private readonly TestLog _log = new();
    private readonly ConcurrentQueue<WatchSignal> _signals = new();
    private readonly ConcurrentQueue<string> _rawEvents = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly List<SettingsWatcher> _started = [];

    public SettingsWatcherTests()
    {
        _path = _temp.SettingsPath(createDirectory: false);
        _dir = Path.GetDirectoryName(_path)!;
    }

    private int Changed => _signals.Count(s => s == WatchSignal.Changed);

    private int Rescans => _signals.Count(s => s == WatchSignal.Rescan);

    public void Dispose()
    {
        foreach (var watcher in _started)
        {
            watcher.Dispose();
        }

        _temp.Dispose();
    }

    [Fact]
    public async Task InPlaceWrite_WatchedDirectory_Changed()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        var watcher = Start();
        Assert.Equal(WatchState.Events, watcher.State);

        File.WriteAllText(_path, "{\"a\": 1}\n");

        await Eventually.TrueAsync(() => Changed > 0, "Changed after an in-place write");
        Assert.Equal(0, Rescans);
    }

    [Fact]
    public async Task RenameReplace_TmpMovedOverSettings_ChangedOnlyForTheMove()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        Start();

        File.WriteAllText(_path + ".tmp", "{\"b\": 2}\n");
        await SentinelSeenAsync();
        Assert.Empty(_signals);

        File.Move(_path + ".tmp", _path, overwrite: true);

        await Eventually.TrueAsync(() => Changed > 0, "Changed after settings.json.tmp -> settings.json");
    }

    [Fact]
    public async Task OtherFilesInDirectory_Written_NoSignal()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        Start();

        File.WriteAllText(Path.Combine(_dir, "other.json"), "{}");
        File.WriteAllText(_path + ".tmp", "{}");
        File.AppendAllText(_path + ".tmp", "\n");
        File.Delete(_path + ".tmp");
        File.WriteAllText(_path + ".bak", "{}");
        File.WriteAllText(Path.Combine(_dir, "xsettings.json"), "{}");
        File.WriteAllText(Path.Combine(_dir, ".settings.json.guardian-1-abcdef01.tmp"), "{}");
        File.Move(Path.Combine(_dir, "other.json"), Path.Combine(_dir, "other2.json"));
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        File.WriteAllText(Path.Combine(_dir, "sub", "settings.json"), "{}");

        await SentinelSeenAsync();
        Assert.Empty(_signals);
        Assert.Equal("{}\n", File.ReadAllText(_path));
    }

    [Fact]
    public async Task Delete_SettingsFile_Changed()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        Start();

        File.Delete(_path);

        await Eventually.TrueAsync(() => Changed > 0, "Changed after the file was deleted");
    }

    [Fact]
    public async Task RenameAway_SettingsMovedElsewhere_Changed()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        Start();

        File.Move(_path, _path + ".old");

        await Eventually.TrueAsync(() => Changed > 0, "Changed after settings.json was renamed away");
    }

    [Fact]
    public async Task DirectoryDeletedAndRecreated_TwentyTimes_WatchRebuiltAndWritesSeen()
    {
        // dotnet/runtime#126295: the watch on a deleted directory goes silent; ext4 even reuses the inode number.
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        var watcher = Start();

        for (var i = 0; i < 20; i++)
        {
            var watchersBefore = WatcherCount;
            _signals.Clear();
            Directory.Delete(_dir, recursive: true);
            Directory.CreateDirectory(_dir);

            await Eventually.TrueAsync(() => Rescans > 0 && watcher.State == WatchState.Events && WatcherCount > watchersBefore,
                $"round {i}: Rescan and a rebuilt watch after the directory was recreated", TimeSpan.FromSeconds(5));
            _signals.Clear();
            File.WriteAllText(_path, "{\"round\": " + i + "}\n");
            await Eventually.TrueAsync(() => Changed > 0, $"round {i}: Changed for a write in the recreated directory", TimeSpan.FromSeconds(5));
        }

        Assert.True(_log.Count("WatchRebuilt") >= 20, _log.Text);
    }

    [Fact]
    public async Task Probe_DirectoryGoneThenRecreatedAndWrittenBeforeTheRebuiltWatch_RescanAndWatched()
    {
        // The race behind GuardianHostTests' deleted-and-recreated test failing under load: the probe's walk finds the
        // directory gone, the rebuild's walk a moment later finds it back, already written. The watch on it comes after
        // the write, so only a rescan can see it; without one the write waited for the settle timer or the resync.
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        var fs = new FaultyFileSystemCalls();
        var watcher = Start(poll: Manual, fs: fs);
        Directory.Delete(_dir, recursive: true);
        await Eventually.TrueAsync(() => Changed > 0, "Changed for the deleted file, through the old watch");
        _signals.Clear();
        var lookups = 0;
        fs.Before = (op, path, _) =>
        {
            if (op == FsOp.OpenDirectory && path == _dir && Interlocked.Increment(ref lookups) == 2)
            {
                Directory.CreateDirectory(_dir);
                File.WriteAllText(_path, "{\"written\": \"before the watch\"}\n");
            }
        };

        watcher.Probe();

        fs.Before = null;
        Assert.Equal(2, lookups);
        Assert.Equal(WatchState.Events, watcher.State);
        Assert.Equal([WatchSignal.Rescan], _signals);
        Assert.Equal(1, _log.Count("WatchRebuilt"));
        _signals.Clear();
        File.WriteAllText(_path, "{\"after\": 1}\n");
        await Eventually.TrueAsync(() => Changed > 0, "Changed through the watch on the recreated directory");
    }

    [Fact]
    public async Task DirectoryRenamedAwayAndReplaced_WatchRebuiltAndWritesSeen()
    {
        // The runtime swaps /configs trees: the old directory lives on under another name, a new one takes its place.
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        var watcher = Start();
        var staged = _temp.Combine("staged");
        Directory.CreateDirectory(staged);
        File.WriteAllText(Path.Combine(staged, "settings.json"), "{}\n");

        Directory.Move(_dir, _temp.Combine("old"));
        Directory.Move(staged, _dir);

        await Eventually.TrueAsync(() => Rescans > 0 && watcher.State == WatchState.Events, "Rescan after the directory swap", TimeSpan.FromSeconds(5));
        _signals.Clear();
        File.WriteAllText(_temp.Combine("old", "settings.json"), "{\"old\": 1}\n");
        File.WriteAllText(_path, "{\"new\": 1}\n");
        await Eventually.TrueAsync(() => Changed > 0, "Changed for a write in the new directory", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Start_DirectoryAbsent_WaitsLogsOnceThenRescanWhenCreated()
    {
        var watcher = Start(poll: Manual);

        Assert.Equal(WatchState.WaitingForDirectory, watcher.State);
        for (var i = 0; i < 25; i++)
        {
            watcher.Probe();
        }

        Assert.Equal(WatchState.WaitingForDirectory, watcher.State);
        Assert.Equal(1, _log.Count("WaitingForDirectory"));
        Assert.Empty(_signals);

        Directory.CreateDirectory(_dir);
        watcher.Probe();

        Assert.Equal(WatchState.Events, watcher.State);
        Assert.Equal([WatchSignal.Rescan], _signals);
        Assert.Equal(1, _log.Count("DirectoryAppeared"));

        _signals.Clear();
        File.WriteAllText(_path, "{}\n");
        await Eventually.TrueAsync(() => Changed > 0, "Changed for the first write in the new directory");
    }

    [Fact]
    public async Task Start_DirectoryAbsent_TimerProbesFindItWhenCreated()
    {
        var watcher = Start();
        Assert.Equal(WatchState.WaitingForDirectory, watcher.State);

        Directory.CreateDirectory(_dir);

        await Eventually.TrueAsync(() => Rescans > 0 && watcher.State == WatchState.Events, "Rescan once the directory appears");
        Assert.Equal(1, _log.Count("WaitingForDirectory"));
    }

    [Fact]
    public async Task AutoMode_FactoryThrowsInotifyLimit_PollsLogsOnceAndSeesWrites()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        var attempts = 0;
        var watcher = Start(factory: _ =>
        {
            Interlocked.Increment(ref attempts);
            throw new IOException("inotify limit");
        });

        Assert.Equal(WatchState.Polling, watcher.State);
        for (var i = 0; i < 10; i++)
        {
            watcher.Probe();
        }

        Assert.Equal(1, _log.Count("PollingFallback"));
        Assert.Contains("inotify limit", _log.Text, StringComparison.Ordinal);
        Assert.Empty(_signals);

        File.WriteAllText(_path, "{\"polled\": true}\n");

        await Eventually.TrueAsync(() => Changed > 0, "Changed seen by polling");
        Assert.Equal(WatchState.Polling, watcher.State);
        Assert.Equal(1, _log.Count("PollingFallback"));
    }

    [Fact]
    public async Task PollMode_Write_ChangedWithoutAnyWatcher()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        var created = 0;
        var watcher = Start(mode: WatchMode.Poll, factory: d =>
        {
            Interlocked.Increment(ref created);
            return new FileSystemWatcher(d);
        });
        Assert.Equal(WatchState.Polling, watcher.State);

        File.WriteAllText(_path, "{\"x\": 1}\n");

        await Eventually.TrueAsync(() => Changed > 0, "Changed seen by polling");
        Assert.Equal(0, created);
        Assert.Equal(0, _log.Count("PollingFallback"));
    }

    [Fact]
    public void EventsMode_FactoryThrows_FailedAndRetriedAtNextProbe()
    {
        Directory.CreateDirectory(_dir);
        var attempts = 0;
        var fail = true;
        var watcher = Start(mode: WatchMode.Events, poll: Manual, factory: d =>
        {
            Interlocked.Increment(ref attempts);
            return fail ? throw new IOException("inotify limit") : new FileSystemWatcher(d);
        });

        Assert.Equal(WatchState.Failed, watcher.State);
        Assert.Equal(1, attempts);
        Assert.Equal(0, _log.Count("PollingFallback"));

        watcher.Probe();
        Assert.Equal(WatchState.Failed, watcher.State);
        Assert.Equal(2, attempts);

        fail = false;
        watcher.Probe();

        Assert.Equal(WatchState.Events, watcher.State);
        Assert.Equal(3, attempts);
        Assert.Contains(WatchSignal.Rescan, _signals);
    }

    [Fact]
    public async Task WatcherError_Raised_RescanAndRebuiltWatch()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(_path, "{}\n");
        var watcher = Start(poll: Manual);
        var first = _watchers.Single();
        var onError = typeof(FileSystemWatcher).GetMethod("OnError", BindingFlags.Instance | BindingFlags.NonPublic)!;

        onError.Invoke(first, [new ErrorEventArgs(new InternalBufferOverflowException("queue overflow"))]);

        Assert.Equal([WatchSignal.Rescan], _signals);
        Assert.Equal(WatchState.Events, watcher.State);
        Assert.Equal(2, WatcherCount);
        Assert.False(first.EnableRaisingEvents);
        Assert.Equal(1, _log.Count("WatcherError"));

        _signals.Clear();
        File.WriteAllText(_path, "{\"after\": \"error\"}\n");
        await Eventually.TrueAsync(() => Changed > 0, "Changed through the rebuilt watch");
    }

    [Fact]
    public void Dispose_AfterStart_StoppedAndProbeIsNoOp()
    {
        Directory.CreateDirectory(_dir);
        var watcher = Start(poll: Manual);

        watcher.Dispose();
        Directory.Delete(_dir);
        Directory.CreateDirectory(_dir);
        watcher.Probe();

        Assert.Equal(WatchState.Stopped, watcher.State);
        Assert.Empty(_signals);
    }

    private int WatcherCount
    {
        get
        {
            lock (_watchers)
            {
                return _watchers.Count;
            }
        }
    }

    private SettingsWatcher Start(WatchMode mode = WatchMode.Auto, TimeSpan? poll = null, Func<string, FileSystemWatcher>? factory = null,
        IFileSystemCalls? fs = null)
    {
        fs ??= LinuxFileSystemCalls.Instance;
        var options = TestHealers.Options(_path, o =>
        {
            o.Watch = mode;
            o.PollInterval = poll ?? Fast;
            o.DirectoryCheckInterval = poll ?? Fast;
        });
        var watcher = new SettingsWatcher(_path, TestHealers.IdentityStep(_path, fs: fs), fs, options, TimeProvider.System, _log, _signals.Enqueue,
            factory ?? Capturing);
        _started.Add(watcher);
        watcher.Start();
        return watcher;
    }

    /// <summary>A real watcher that also records every raw event name, subscribed before the guardian's handlers.</summary>
    private FileSystemWatcher Capturing(string directory)
    {
        var watcher = new FileSystemWatcher(directory);
        watcher.Created += (_, e) => _rawEvents.Enqueue(e.Name ?? "");
        watcher.Changed += (_, e) => _rawEvents.Enqueue(e.Name ?? "");
        watcher.Deleted += (_, e) => _rawEvents.Enqueue(e.Name ?? "");
        watcher.Renamed += (_, e) => _rawEvents.Enqueue(e.Name ?? "");
        lock (_watchers)
        {
            _watchers.Add(watcher);
        }

        return watcher;
    }

    /// <summary>
    /// Writes a sentinel file and waits for its event. Events are delivered in order on one thread, so once the
    /// sentinel is seen, the guardian's handlers have already run for everything written before it.
    /// </summary>
    private async Task SentinelSeenAsync()
    {
        var name = "zz-sentinel-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(Path.Combine(_dir, name), "s");
        await Eventually.TrueAsync(() => _rawEvents.Contains(name), "the sentinel's event");
    }
}
