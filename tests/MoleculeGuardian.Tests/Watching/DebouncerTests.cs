using Microsoft.Extensions.Time.Testing;
using MoleculeGuardian.Watching;

namespace MoleculeGuardian.Tests.Watching;

public sealed class DebouncerTests : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    private readonly FakeTimeProvider _time = new();
    private readonly DateTimeOffset _start;
    private readonly List<TimeSpan> _fires = [];
    private readonly Debouncer _debouncer;

    public DebouncerTests()
    {
        _start = _time.GetUtcNow();
        _debouncer = new Debouncer(Quiet, MaxDelay, _time, () => _fires.Add(_time.GetUtcNow() - _start));
    }

    public void Dispose() => _debouncer.Dispose();

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>
    /// Advances the fake clock a millisecond at a time: FakeTimeProvider.Advance moves the clock to the end first and
    /// then runs every timer that came due, so a single large step would record the wrong fire times.
    /// </summary>
    private void Run(TimeSpan total)
    {
        for (var step = TimeSpan.Zero; step < total; step += Ms(1))
        {
            _time.Advance(Ms(1));
        }
    }

    [Fact]
    public void Signal_Once_FiresOnceAfterTheQuietTime()
    {
        _debouncer.Signal();

        Run(Ms(249));
        Assert.Empty(_fires);
        Run(Ms(1));
        Assert.Equal([Ms(250)], _fires);
        Run(TimeSpan.FromSeconds(10));
        Assert.Single(_fires);
    }

    [Fact]
    public void Signal_NothingSignalled_NeverFires()
    {
        Run(TimeSpan.FromMinutes(1));

        Assert.Empty(_fires);
    }

    [Fact]
    public void Signal_BurstOf12Every50ms_FiresOnceQuietTimeAfterTheLast()
    {
        for (var i = 0; i < 12; i++)
        {
            _debouncer.Signal();
            if (i < 11)
            {
                Run(Ms(50));
            }
        }

        // Last signal at 550 ms.
        Assert.Empty(_fires);
        Run(Ms(249));
        Assert.Empty(_fires);
        Run(Ms(1));
        Assert.Equal([Ms(800)], _fires);
        Run(TimeSpan.FromSeconds(10));
        Assert.Single(_fires);
    }

    [Fact]
    public void Signal_ContinuousStreamEvery100msFor5s_FiresAtLeastOncePerMaxDelay()
    {
        for (var t = 0; t <= 5000; t += 100)
        {
            _debouncer.Signal();
            Run(Ms(100));
        }

        Run(TimeSpan.FromSeconds(1));

        // First signal at 0: forced at 2 s. The stream goes on: forced again 2 s later. Then quiet after the last (5 s).
        Assert.Equal([Ms(2000), Ms(4000), Ms(5250)], _fires);
    }

    [Fact]
    public void Signal_StreamEndsJustBeforeMaxDelay_FiresOnceWithinMaxDelay()
    {
        for (var t = 0; t < 1900; t += 100)
        {
            _debouncer.Signal();
            Run(Ms(100));
        }

        _debouncer.Signal(); // at 1.9 s: the max delay (2 s) comes before the quiet time would end (2.15 s)
        Run(Ms(99));
        Assert.Empty(_fires);
        Run(Ms(1));
        Assert.Equal([Ms(2000)], _fires);
        Run(TimeSpan.FromSeconds(5));
        Assert.Single(_fires);
    }

    [Fact]
    public void Signal_AfterAFire_StartsANewCycle()
    {
        _debouncer.Signal();
        Run(Quiet);
        Assert.Single(_fires);

        Run(TimeSpan.FromSeconds(3));
        _debouncer.Signal();
        Run(Ms(249));
        Assert.Single(_fires);
        Run(Ms(1));

        Assert.Equal([Ms(250), Ms(3500)], _fires);
    }

    [Fact]
    public void Signal_NewCycleAfterAForcedFire_GetsAFreshMaxDelay()
    {
        // Stream for 2.5 s: forced at 2 s; the signals from 2 s on belong to a new cycle (last one at 2.4 s).
        for (var t = 0; t < 2500; t += 100)
        {
            _debouncer.Signal();
            Run(Ms(100));
        }

        Run(TimeSpan.FromSeconds(2));

        Assert.Equal([Ms(2000), Ms(2650)], _fires);
    }

    [Fact]
    public void Signal_FromInsideTheFireCallback_FiresAgainAfterTheQuietTime()
    {
        // The heal's own write causes a watch event while the heal runs: it must end in one more (no-op) heal.
        var fires = new List<TimeSpan>();
        Debouncer? debouncer = null;
        debouncer = new Debouncer(Quiet, MaxDelay, _time, () =>
        {
            fires.Add(_time.GetUtcNow() - _start);
            if (fires.Count == 1)
            {
                debouncer!.Signal();
            }
        });
        using (debouncer)
        {
            debouncer.Signal();
            Run(TimeSpan.FromSeconds(5));
        }

        Assert.Equal([Ms(250), Ms(500)], fires);
    }

    [Fact]
    public void Dispose_PendingSignal_NeverFires()
    {
        _debouncer.Signal();
        _debouncer.Dispose();

        Run(TimeSpan.FromSeconds(10));

        Assert.Empty(_fires);
    }
}
