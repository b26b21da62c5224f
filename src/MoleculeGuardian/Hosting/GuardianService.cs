using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Watching;

namespace MoleculeGuardian.Hosting;

/// <summary>
/// The long-running guardian. Heals once in <see cref="StartAsync"/> (so "started" means "healed" and systemd's
/// READY=1 comes after it), then serves every trigger — watch, periodic re-check, retry, settle — through one loop,
/// one heal at a time. The design card's debounce acts on its leading edge and its window is the heal in flight: the
/// triggers go through a channel that holds at most one pending heal, so a change starts a heal at once, and any
/// number of changes during a heal cost exactly one more heal right after it.
/// </summary>
internal sealed class GuardianService : BackgroundService
{
    private readonly Healer _healer;
    private readonly SettingsFileStore _store;
    private readonly GuardianOptions _options;
    private readonly PlatformAgentGate _gate;
    private readonly TimeProvider _time;
    private readonly ILogger<GuardianService> _log;
    private readonly Channel<HealTrigger> _triggers;
    private readonly SettingsWatcher _watcher;
    private readonly FightDetector _fight;
    private readonly ITimer _retry;
    private readonly ITimer _settle;
    private readonly MemoryTrimmer _trimmer;
    private readonly GuardianMetrics? _metrics;
    private ITimer? _resync;
    private int _failures;
    private string? _lastRefusal;
    private long _healStarted;

    public GuardianService(Healer healer, SettingsFileStore store, IOptions<GuardianOptions> options, PlatformAgentGate gate, IFileSystemCalls fs,
        TimeProvider time, ILogger<GuardianService> log, Func<string, FileSystemWatcher>? createWatcher = null, MemoryTrimmer? trimmer = null,
        GuardianMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _healer = healer;
        _store = store;
        _options = options.Value;
        _gate = gate;
        _time = time;
        _log = log;

        // The coalescing: while one trigger waits, more are dropped. A heal in flight has already taken its trigger
        // out, so the first change during it waits as the one follow-up; the rest are covered by that follow-up's read.
        // The reason that waits is the first one, which is the one logged.
        _triggers = Channel.CreateBounded<HealTrigger>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });
        _watcher = new SettingsWatcher(_options.SettingsPath, store.Privilege, fs, _options, time, log,
            signal => Request(signal == WatchSignal.Changed ? HealTrigger.Watch : HealTrigger.Rescan),
            createWatcher);
        _fight = new FightDetector(_options.FightThresholdPerMinute, time);
        _retry = time.CreateTimer(_ => Request(HealTrigger.Retry), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _settle = time.CreateTimer(_ => Request(HealTrigger.Settle), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _trimmer = trimmer ?? MemoryTrimmer.ForThisProcess();
        _metrics = metrics;
    }

    /// <summary>
    /// True unless a heal has been running for longer than <paramref name="limit"/>: the loop's own liveness,
    /// reported to the systemd watchdog.
    /// </summary>
    public bool IsResponsive(TimeSpan limit)
    {
        var started = Interlocked.Read(ref _healStarted);
        return started == 0 || _time.GetElapsedTime(started) < limit;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_gate.Enabled)
        {
            Log.GateIdle(_log, PlatformAgentGate.Variable, _options.SettingsPath);
            await base.StartAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        Log.Started(_log, _options.SettingsPath, string.Join(",", _options.ProtectedServers.Keys), _options.DriftPolicy.ToString(), _options.Watch.ToString());

        // The identity step, before anything in the directory is read, listed, removed or watched. A directory that is
        // not there yet is settled by the watcher when it appears, before it is watched.
        _store.Privilege.Settle();
        RemoveStaleTemps();

        // What building the host allocated is garbage the workstation GC would keep for as long as the guardian idles
        // (its gen0 budget is sized from the CPU cache): one compacting collection gives it back. It has to come before
        // the watch: the watcher's thread blocks in read() on a pinned buffer for good, and a pinned object above that
        // garbage keeps the whole stretch below it committed (2 MiB of RSS). About 2 ms on the way to the first heal.
        _trimmer.AfterStart();

        // The startup heal is the first request, and the watch is in place before it reads: a rewrite landing in
        // between is owed a heal right after it. A torn file is given its next change or the settle delay.
        Request(HealTrigger.Startup);
        _watcher.Start();
        HealReport report;
        do
        {
            report = Heal(await _triggers.Reader.ReadAsync(cancellationToken).ConfigureAwait(false));
        }
        while (report.Status == HealStatus.Torn);

        _resync = _time.CreateTimer(_ => Request(HealTrigger.Periodic), null, _options.ResyncInterval, _options.ResyncInterval);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_gate.Enabled)
        {
            Log.Stopping(_log);
        }

        StopTriggers();
        _triggers.Writer.TryComplete();

        // Waits for the heal in flight, if any, to finish.
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        StopTriggers();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_gate.Enabled)
        {
            return;
        }

        try
        {
            await foreach (var trigger in _triggers.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                Heal(trigger);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void StopTriggers()
    {
        _watcher.Dispose();
        _retry.Dispose();
        _settle.Dispose();
        _resync?.Dispose();
    }

    /// <summary>Asks for a heal: at once if none is running, else one more after it (see the constructor).</summary>
    private void Request(HealTrigger trigger) => _triggers.Writer.TryWrite(trigger);

    /// <summary>One heal, synchronous: a heal never waits, so a stop always finds it finished within its I/O.</summary>
    private HealReport Heal(HealTrigger trigger)
    {
        Interlocked.Exchange(ref _healStarted, _time.GetTimestamp());
        HealReport report;
        try
        {
            // Every exception ends inside the heal as a Failed report (counted and logged there).
            report = _healer.Heal(trigger);
        }
        finally
        {
            Interlocked.Exchange(ref _healStarted, 0);
        }

        React(report);
        if (_triggers.Reader.Count == 0)
        {
            _trimmer.Idle();
        }

        return report;
    }

    private void React(HealReport report)
    {
        // Torn: the next change looks again at once; this timer only covers a file that stays as it is.
        _settle.Change(report.Status == HealStatus.Torn ? report.SettleIn!.Value : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (report.Status == HealStatus.Refused)
        {
            // Once per distinct refusal: the periodic re-check keeps looking without filling the log.
            if (report.Detail != _lastRefusal)
            {
                _lastRefusal = report.Detail;
                Log.Refused(_log, _options.SettingsPath, report.Detail ?? "");
            }

            return;
        }

        // Every time the guardian found the entry out counts, won or lost: in a storm of evicting writes most heals
        // lose the race to the next write and end on its torn file, not in a write of their own.
        var restores = report.Conflicts + (report.Status == HealStatus.Healed ? 1 : 0);
        if (restores > 0 && _fight.RecordHeals(restores) is { } heals)
        {
            Log.FightingAnotherWriter(_log, heals);
            _metrics?.Fight();
        }

        if (report.Status is HealStatus.Torn)
        {
            return;
        }

        _lastRefusal = null;

        if (report.Status == HealStatus.Conflict)
        {
            // The change that beat the heal has already asked for the next one; the timer is only a safety net for
            // a lost event, so it neither backs off nor warns (a fight is reported as such, above).
            _retry.Change(_options.RetryMinDelay, Timeout.InfiniteTimeSpan);
            return;
        }

        if (report.Status == HealStatus.Failed)
        {
            _failures++;
            var delay = RetryDelay(_failures, _options.RetryMinDelay, _options.RetryMaxDelay);

            // Armed before it is logged: whoever reads the line may count on the timer (tests on a fake clock do).
            _retry.Change(delay, Timeout.InfiniteTimeSpan);
            Log.RetryScheduled(_log, report.Status, _failures, delay.TotalMilliseconds);
            return;
        }

        _failures = 0;
        _retry.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Capped exponential backoff: min, 2×min, 4×min, … up to max.</summary>
    public static TimeSpan RetryDelay(int attempt, TimeSpan min, TimeSpan max)
    {
        var factor = Math.Pow(2, Math.Min(Math.Max(attempt - 1, 0), 30));
        var ticks = Math.Min(min.Ticks * factor, max.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    private void RemoveStaleTemps()
    {
        try
        {
            foreach (var path in _store.RemoveStaleTemps())
            {
                Log.StaleTempRemoved(_log, path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The directory may not exist yet; nothing can be stale in it then.
        }
    }
}
