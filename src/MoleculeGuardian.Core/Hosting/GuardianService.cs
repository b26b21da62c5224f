using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Guarding;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Logging;
using MoleculeGuardian.Watching;

namespace MoleculeGuardian.Hosting;

/// <summary>
/// The long-running guardian as a hosted service: composition only. <see cref="StartAsync"/> heals once (so "started"
/// means "healed" and systemd's READY=1 comes after it) with the watch already in place, then
/// <see cref="ExecuteAsync"/> runs the <see cref="HealLoop"/> until the host stops.
/// </summary>
internal sealed class GuardianService : BackgroundService
{
    private readonly HealLoop _loop;
    private readonly SettingsWatcher _watcher;
    private readonly SettingsFileStore _store;
    private readonly GuardianOptions _options;
    private readonly PlatformAgentGate _gate;
    private readonly MemoryTrimmer _trimmer;
    private readonly ILogger<GuardianService> _log;

    public GuardianService(HealLoop loop, SettingsWatcher watcher, SettingsFileStore store, GuardianOptions options, PlatformAgentGate gate,
        MemoryTrimmer trimmer, ILogger<GuardianService> log)
    {
        _loop = loop;
        _watcher = watcher;
        _store = store;
        _options = options;
        _gate = gate;
        _trimmer = trimmer;
        _log = log;
    }

    /// <summary>The heal loop's liveness, for the systemd watchdog.</summary>
    public bool IsResponsive(TimeSpan limit) => _loop.IsResponsive(limit);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_gate.Enabled)
        {
            Log.GateIdle(_log, _gate.Reason, _options.SettingsPath);
            await base.StartAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        Log.Started(_log, _options.SettingsPath, string.Join(",", _options.ProtectedServers.Keys), _options.DriftPolicy.ToString(), _options.Watch.ToString(), _gate.Reason);

        // The identity step, before anything in the directory is read, listed, removed or watched. A directory that is
        // not there yet is settled by the watcher when it appears, before it is watched.
        _store.Privilege.Settle();
        RemoveStaleTemps();

        // What building the host allocated is garbage the workstation GC would keep for as long as the guardian idles
        // (its gen0 budget is sized from the CPU cache): one compacting collection gives it back. It has to come before
        // the watch: the watcher's thread blocks in read() on a pinned buffer for good, and a pinned object above that
        // garbage keeps the whole stretch below it committed (2 MiB of RSS). About 2 ms on the way to the first heal.
        _trimmer.AfterStart();

        // The watch is in place before the startup heal reads: a rewrite landing in between is owed a heal right after
        // it. A torn file is given its next change or the settle delay before the service counts as started.
        _watcher.Start();
        var report = _loop.HealNow(HealTrigger.Startup);
        try
        {
            while (report?.Status == HealStatus.Torn)
            {
                report = await _loop.NextAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // SIGTERM while a torn file settles: an ordinary stop (StopAsync follows and says so), not a failed start.
            return;
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_gate.Enabled)
        {
            Log.Stopping(_log);
        }

        _watcher.Dispose();
        _loop.Complete();

        // Waits for the heal in flight, if any, to finish.
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _watcher.Dispose();
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
            while (!stoppingToken.IsCancellationRequested && await _loop.NextAsync(stoppingToken).ConfigureAwait(false) is not null)
            {
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
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
