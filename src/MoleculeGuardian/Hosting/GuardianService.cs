using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Watching;

namespace MoleculeGuardian.Hosting;

/// <summary>
/// The long-running guardian. Heals once in <see cref="StartAsync"/> (so "started" means "healed" and systemd's
/// READY=1 comes after it), then serves every trigger — watch, periodic re-check, retry — through one loop, one
/// heal at a time.
/// </summary>
public sealed class GuardianService : BackgroundService
{
    private readonly Healer _healer;
    private readonly GuardianOptions _options;
    private readonly PlatformAgentGate _gate;
    private readonly TimeProvider _time;
    private readonly ILogger<GuardianService> _log;
    private readonly Channel<HealTrigger> _triggers;
    private readonly Debouncer _debouncer;
    private readonly SettingsWatcher _watcher;
    private readonly FightDetector _fight;
    private readonly ITimer _retry;
    private ITimer? _resync;
    private int _failures;
    private string? _lastRefusal;
    private long _healStarted;

    public GuardianService(Healer healer, IOptions<GuardianOptions> options, PlatformAgentGate gate, IFileSystemCalls fs,
        TimeProvider time, ILogger<GuardianService> log, Func<string, FileSystemWatcher>? createWatcher = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _healer = healer;
        _options = options.Value;
        _gate = gate;
        _time = time;
        _log = log;

        // Capacity one, extra writes dropped: a queued heal reads the file fresh, so more would add nothing.
        _triggers = Channel.CreateBounded<HealTrigger>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        _debouncer = new Debouncer(_options.Debounce, _options.MaxDelay, time, () => Enqueue(HealTrigger.Watch));
        _watcher = new SettingsWatcher(_options.SettingsPath, fs, _options, time, log,
            signal => { if (signal == WatchSignal.Changed) { _debouncer.Signal(); } else { Enqueue(HealTrigger.Rescan); } },
            createWatcher);
        _fight = new FightDetector(_options.FightThresholdPerMinute, time);
        _retry = time.CreateTimer(_ => Enqueue(HealTrigger.Retry), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
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
        RemoveStaleTemps();

        // The watch goes in before the startup heal, so a rewrite landing between the two is not missed.
        _watcher.Start();
        await HealAsync(HealTrigger.Startup, cancellationToken).ConfigureAwait(false);
        _resync = _time.CreateTimer(_ => Enqueue(HealTrigger.Periodic), null, _options.ResyncInterval, _options.ResyncInterval);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_gate.Enabled)
        {
            Log.Stopping(_log);
        }

        _watcher.Dispose();
        _debouncer.Dispose();
        _retry.Dispose();
        _resync?.Dispose();
        _triggers.Writer.TryComplete();

        // Waits for the heal in flight, if any, to finish.
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _watcher.Dispose();
        _debouncer.Dispose();
        _retry.Dispose();
        _resync?.Dispose();
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
                // A stop cancels only a settle wait; a replace, once begun, always finishes (it is synchronous).
                await HealAsync(trigger, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void Enqueue(HealTrigger trigger) => _triggers.Writer.TryWrite(trigger);

    private async Task HealAsync(HealTrigger trigger, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _healStarted, _time.GetTimestamp());
        HealReport report;
        try
        {
            report = await _healer.HealAsync(trigger, dryRun: false, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // One failed heal must not end the guardian; the next trigger tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.HealLoopFailed(_log, ex, trigger);
            report = HealReport.Of(HealStatus.Failed, ex.Message);
        }
        finally
        {
            Interlocked.Exchange(ref _healStarted, 0);
        }

        React(report);
    }

    private void React(HealReport report)
    {
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

        _lastRefusal = null;
        if (report.Status is HealStatus.Failed or HealStatus.Conflict)
        {
            _failures++;
            var delay = RetryDelay(_failures, _options.RetryMinDelay, _options.RetryMaxDelay);
            Log.RetryScheduled(_log, report.Status, _failures, delay.TotalMilliseconds);
            _retry.Change(delay, Timeout.InfiniteTimeSpan);
            return;
        }

        _failures = 0;
        if (report.Status == HealStatus.Healed && _fight.RecordHeal() is { } heals)
        {
            Log.FightingAnotherWriter(_log, heals);
        }
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
            foreach (var path in _healer.Store.RemoveStaleTemps())
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
