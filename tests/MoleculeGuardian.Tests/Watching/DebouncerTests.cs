using System.Collections.Concurrent;
using System.Threading.Channels;
using MoleculeGuardian.Watching;

namespace MoleculeGuardian.Tests.Watching;

/// <summary>The leading-edge debounce: the first signal fires at once; signals during the work coalesce into one more.</summary>
public sealed class DebouncerTests
{
    private readonly List<string> _fires = [];
    private readonly Debouncer<string> _debouncer;

    public DebouncerTests()
    {
        _debouncer = new Debouncer<string>(_fires.Add);
    }

    [Fact]
    public void Signal_Idle_FiresAtOnceWithItsReason()
    {
        _debouncer.Signal("change");

        Assert.Equal(["change"], _fires);
        Assert.True(_debouncer.Running);
    }

    [Fact]
    public void Signal_NothingSignalled_NeverFires()
    {
        Assert.Empty(_fires);
        Assert.False(_debouncer.Running);
    }

    [Fact]
    public void Signal_WhileRunning_WaitsForCompletedThenFiresOnce()
    {
        _debouncer.Signal("first");
        _debouncer.Signal("second");

        Assert.Equal(["first"], _fires);

        _debouncer.Completed();
        Assert.Equal(["first", "second"], _fires);
        Assert.True(_debouncer.Running);
    }

    [Fact]
    public void Signal_ManyWhileRunning_CoalesceIntoOneFollowUpWithTheFirstReason()
    {
        _debouncer.Signal("a");
        for (var i = 0; i < 1500; i++)
        {
            _debouncer.Signal(i == 0 ? "b" : "later");
        }

        _debouncer.Completed();
        _debouncer.Completed();

        Assert.Equal(["a", "b"], _fires);
        Assert.False(_debouncer.Running);
    }

    [Fact]
    public void Completed_NothingOwed_GoesIdleAndTheNextSignalFiresAtOnce()
    {
        _debouncer.Signal("a");
        _debouncer.Completed();
        Assert.False(_debouncer.Running);

        _debouncer.Signal("b");

        Assert.Equal(["a", "b"], _fires);
    }

    [Fact]
    public void Completed_AfterTheFollowUp_ForgetsTheOwedReason()
    {
        _debouncer.Signal("a");
        _debouncer.Signal("b");
        _debouncer.Completed();
        _debouncer.Completed();

        // A fresh cycle: the owed reason of the last one must not come back.
        _debouncer.Signal("c");
        _debouncer.Signal("d");
        _debouncer.Completed();

        Assert.Equal(["a", "b", "c", "d"], _fires);
    }

    [Fact]
    public void Completed_WithoutASignal_StaysIdle()
    {
        _debouncer.Completed();

        Assert.Empty(_fires);
        Assert.False(_debouncer.Running);
    }

    [Fact]
    public void Signal_FromInsideTheFire_IsOwedNotFiredRecursively()
    {
        var fires = new List<string>();
        Debouncer<string>? debouncer = null;
        debouncer = new Debouncer<string>(reason =>
        {
            fires.Add(reason);
            if (reason == "outer")
            {
                debouncer!.Signal("inner");
            }
        });

        debouncer.Signal("outer");
        Assert.Equal(["outer"], fires);

        debouncer.Completed();
        Assert.Equal(["outer", "inner"], fires);
    }

    /// <summary>
    /// Signals from many threads against a real consumer loop: the work never overlaps, and every signal is followed
    /// by a firing that started after it (none is lost in the coalescing).
    /// </summary>
    [Fact]
    public async Task Signal_FromManyThreads_WorkNeverOverlapsAndNoSignalIsLost()
    {
        var queue = Channel.CreateUnbounded<long>();
        var debouncer = new Debouncer<long>(_ => queue.Writer.TryWrite(Interlocked.Increment(ref _sequence)));
        var inFlight = 0;
        var overlaps = 0;
        var workStarts = new ConcurrentQueue<long>();
        var consumer = Task.Run(async () =>
        {
            await foreach (var _ in queue.Reader.ReadAllAsync())
            {
                if (Interlocked.Increment(ref inFlight) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                workStarts.Enqueue(Interlocked.Increment(ref _sequence));
                await Task.Yield();
                Interlocked.Decrement(ref inFlight);
                debouncer.Completed();
            }
        });

        var lastSignals = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            long last = 0;
            for (var i = 0; i < 2000; i++)
            {
                debouncer.Signal(0);
                last = Interlocked.Increment(ref _sequence);
            }

            return last;
        })));

        await Support.Eventually.TrueAsync(() => !debouncer.Running, "the loop to go idle");
        queue.Writer.Complete();
        await consumer.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, overlaps);
        Assert.True(workStarts.Last() > lastSignals.Max(), "the last work started before the last signal: a signal was lost");
        Assert.True(workStarts.Count < 8000, $"{workStarts.Count} firings for 8000 signals: nothing coalesced");
    }

    private long _sequence;
}
