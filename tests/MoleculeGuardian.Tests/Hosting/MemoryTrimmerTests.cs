using Microsoft.Extensions.DependencyInjection;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Hosting;

public sealed class MemoryTrimmerTests
{
    private long _allocated = 1_000;
    private int _collections;

    private MemoryTrimmer Trimmer(long threshold = 100) => new(() => _allocated, () => _collections++, threshold);

    [Fact]
    public void Idle_WhatTheStartAllocated_IsNotTrimmed()
    {
        var trimmer = Trimmer();

        Assert.False(trimmer.Idle());
        Assert.Equal(0, _collections);
    }

    [Fact]
    public void Idle_LessThanTheThresholdSinceTheLastTrim_DoesNotCollect()
    {
        var trimmer = Trimmer();
        _allocated += 99;

        Assert.False(trimmer.Idle());
        Assert.Equal(0, _collections);
    }

    [Fact]
    public void Idle_TheThresholdReached_CollectsOnceAndCountsAgainFromThere()
    {
        var trimmer = Trimmer();
        _allocated += 100;

        Assert.True(trimmer.Idle());
        Assert.False(trimmer.Idle());
        _allocated += 99;
        Assert.False(trimmer.Idle());
        _allocated += 1;
        Assert.True(trimmer.Idle());
        Assert.Equal(2, _collections);
    }

    [Fact]
    public void ForThisProcess_AfterAllocatingTheThreshold_CollectsForReal()
    {
        var trimmer = MemoryTrimmer.ForThisProcess();
        var collections = GC.CollectionCount(GC.MaxGeneration);
        var garbage = new List<byte[]>();
        for (var i = 0; i < 64; i++)
        {
            garbage.Add(new byte[(int)(MemoryTrimmer.DefaultThreshold / 32)]);
        }

        garbage.Clear();

        Assert.True(trimmer.Idle());
        Assert.True(GC.CollectionCount(GC.MaxGeneration) > collections);
    }

    [Fact]
    public async Task GuardianService_LoopGoesIdleAfterAHeal_Trims()
    {
        var trimmer = new MemoryTrimmer(() => Interlocked.Increment(ref _allocated) * 1_000, () => Interlocked.Increment(ref _collections), 1);
        await using var guardian = new GuardianHostHarness();
        await guardian.StartAsync(services: s => s.AddSingleton(trimmer));
        var before = guardian.Heals;

        SettingsFiles.WriteInPlace(guardian.SettingsPath, SettingsFiles.WithoutProtected());
        await guardian.WaitHealedAndQuietAsync(before);

        await Eventually.TrueAsync(() => Volatile.Read(ref _collections) > 0, "a trim once the loop went idle");
    }

    [Fact]
    public async Task GuardianService_Start_CollectsOnceBeforeTheWatcherPinsItsBuffer()
    {
        // The order is the point: a collection after the watcher's read() has pinned its buffer leaves everything the
        // host allocated below that buffer committed for good.
        var steps = new List<string>();
        var trimmer = new MemoryTrimmer(() => 0, () => { lock (steps) { steps.Add("collect"); } }, long.MaxValue);
        await using var guardian = new GuardianHostHarness();
        await guardian.StartAsync(services: s => s
            .AddSingleton(trimmer)
            .AddSingleton<Func<string, FileSystemWatcher>>(dir =>
            {
                lock (steps) { steps.Add("watch"); }
                return new FileSystemWatcher(dir);
            }));

        lock (steps)
        {
            Assert.Equal(["collect", "watch"], steps);
        }
    }
}
