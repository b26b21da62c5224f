using System.Collections.Concurrent;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Tests.Support;
using MoleculeGuardian.Watching;

namespace MoleculeGuardian.Tests.Watching;

/// <summary>Counts process-wide inotify instances, so nothing else in the test assembly may run at the same time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InotifyCountingGroup
{
    public const string Name = "inotify instance counting";
}

/// <summary>
/// The per-uid inotify instance limit (128) is shared by every container of uid 1000 on a host: the guardian must use
/// exactly one instance, keep using one across rebuilt watches, and none when polling.
/// </summary>
[Collection(InotifyCountingGroup.Name)]
public sealed class InotifyInstanceTests : IDisposable
{
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(5);
    private readonly TempDirectory _temp = new();
    private readonly string _path;
    private readonly ConcurrentQueue<WatchSignal> _signals = new();

    public InotifyInstanceTests()
    {
        _path = _temp.SettingsPath();
        File.WriteAllText(_path, "{}\n");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Start_EventsMode_ExactlyOneInotifyInstanceAndReleasedOnDispose()
    {
        var before = InotifyInstances();

        using (var watcher = Create(WatchMode.Auto))
        {
            watcher.Start();
            Assert.Equal(WatchState.Events, watcher.State);
            Assert.Equal(before + 1, InotifyInstances());

            // Probes, writes and signals do not add instances.
            for (var i = 0; i < 10; i++)
            {
                watcher.Probe();
            }

            File.WriteAllText(_path, "{\"a\": 1}\n");
            await Eventually.TrueAsync(() => _signals.Contains(WatchSignal.Changed), "a Changed signal");
            Assert.Equal(before + 1, InotifyInstances());
        }

        await Eventually.TrueAsync(() => InotifyInstances() == before, "the inotify instance released after Dispose", ReleaseTimeout);
    }

    [Fact]
    public async Task DirectoryRecreated_WatchRebuilt_StillExactlyOneInotifyInstance()
    {
        var before = InotifyInstances();
        var dir = Path.GetDirectoryName(_path)!;
        using var watcher = Create(WatchMode.Auto);
        watcher.Start();

        for (var i = 0; i < 5; i++)
        {
            _signals.Clear();
            Directory.Delete(dir, recursive: true);
            Directory.CreateDirectory(dir);
            watcher.Probe();
            await Eventually.TrueAsync(() => _signals.Contains(WatchSignal.Rescan) && watcher.State == WatchState.Events,
                $"round {i}: the watch rebuilt", ReleaseTimeout);
            await Eventually.TrueAsync(() => InotifyInstances() == before + 1, $"round {i}: one inotify instance after the rebuild", ReleaseTimeout);
        }
    }

    [Fact]
    public async Task Start_PollMode_NoInotifyInstance()
    {
        var before = InotifyInstances();

        using var watcher = Create(WatchMode.Poll);
        watcher.Start();
        File.WriteAllText(_path, "{\"b\": 2}\n");
        await Eventually.TrueAsync(() => _signals.Contains(WatchSignal.Changed), "a Changed signal by polling");

        Assert.Equal(WatchState.Polling, watcher.State);
        Assert.Equal(before, InotifyInstances());
    }

    private SettingsWatcher Create(WatchMode mode)
    {
        var options = TestHealers.Options(_path, o =>
        {
            o.Watch = mode;
            o.PollInterval = TimeSpan.FromMilliseconds(50);
            o.DirectoryCheckInterval = TimeSpan.FromMilliseconds(50);
        });
        return new SettingsWatcher(_path, TestHealers.IdentityStep(_path), LinuxFileSystemCalls.Instance, options, TimeProvider.System, new TestLog(), _signals.Enqueue);
    }

    private static int InotifyInstances()
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == "anon_inode:inotify")
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor was closed while we looked.
            }
        }

        return count;
    }
}
