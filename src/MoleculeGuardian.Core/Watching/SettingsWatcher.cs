using Microsoft.Extensions.Logging;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Logging;

namespace MoleculeGuardian.Watching;

/// <summary>
/// Watches the settings <em>directory</em> (in-place writes and rename-replaces both show there) and reports
/// changes to the settings file. The watch is added through the handle of the directory the walk opened, never by its
/// path, and only once whom the guardian acts as there is settled. A probe every <c>DirectoryCheckInterval</c> checks
/// the directory's identity: a directory that appears, disappears or is swapped for a new one (the runtime rebuilds
/// /configs at boot, and on .NET 10 the watcher then goes silent, dotnet/runtime#126295) gets a fresh watch and a
/// rescan. When events cannot be had, the same probe polls the file's stat fingerprint instead.
/// </summary>
internal sealed class SettingsWatcher : IDisposable
{
    private readonly string _directory;
    private readonly string _fileName;
    private readonly Privilege _privilege;
    private readonly IFileSystemCalls _fs;
    private readonly GuardianOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Action<WatchSignal> _onSignal;
    private readonly Func<string, FileSystemWatcher> _createWatcher;
    private readonly Lock _gate = new();
    private FileSystemWatcher? _watcher;
    private SettingsDirectory? _heldDirectory;
    private ITimer? _probe;
    private TimeSpan _probePeriod;
    private (ulong Device, ulong Inode)? _watchedDirectory;
    private (ulong Device, ulong Inode, long Size, long MtimeNs, long CtimeNs)? _lastFingerprint;
    private string? _unreachableLogged;
    private bool _waitingLogged;
    private bool _fallbackLogged;
    private bool _disposed;

    public SettingsWatcher(string settingsPath, Privilege privilege, IFileSystemCalls fs, GuardianOptions options, TimeProvider time, ILogger log,
        Action<WatchSignal> onSignal, Func<string, FileSystemWatcher>? createWatcher = null)
    {
        ArgumentNullException.ThrowIfNull(privilege);
        _directory = Path.GetDirectoryName(settingsPath) ?? "/";
        _fileName = Path.GetFileName(settingsPath);
        _privilege = privilege;
        _fs = fs;
        _options = options;
        _time = time;
        _log = log;
        _onSignal = onSignal;
        _createWatcher = createWatcher ?? (dir => new FileSystemWatcher(dir));
    }

    /// <summary>How changes are being seen right now.</summary>
    public WatchState State { get; private set; } = WatchState.Stopped;

    /// <summary>Puts the watch in place (or starts waiting for the directory). Call before the startup heal.</summary>
    public void Start()
    {
        lock (_gate)
        {
            Establish();
            _probePeriod = ProbePeriod;
            _probe = _time.CreateTimer(_ => Probe(), null, _probePeriod, _probePeriod);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _probe?.Dispose();
            StopEvents();
            _heldDirectory?.Dispose();
            State = WatchState.Stopped;
        }
    }

    /// <summary>One probe tick; public so tests can drive it without waiting for the timer.</summary>
    public void Probe()
    {
        WatchSignal? signal = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var dir = StatDirectory();
            var rebuild = dir is null
                ? State != WatchState.WaitingForDirectory
                : State == WatchState.WaitingForDirectory || _watchedDirectory != dir || State == WatchState.Failed || HeldDirectoryRemoved();
            if (rebuild)
            {
                var before = State;
                Establish();

                // Whatever happened in the directory before this watch existed is seen only by a heal. That includes a
                // directory found missing above and already back when Establish looked again (deleted and recreated in
                // between): it is watched now, but a write that came before the watch would otherwise wait for the resync.
                if (State != WatchState.WaitingForDirectory)
                {
                    if (before != WatchState.WaitingForDirectory)
                    {
                        Log.WatchRebuilt(_log, _directory, before == WatchState.Failed ? "retrying after a failed watch" : "the directory was replaced");
                    }

                    signal = WatchSignal.Rescan;
                }
            }
            else if (State == WatchState.Polling)
            {
                var fingerprint = FileFingerprint();
                if (fingerprint != _lastFingerprint)
                {
                    _lastFingerprint = fingerprint;
                    signal = WatchSignal.Changed;
                }
            }
        }

        if (signal is { } s)
        {
            _onSignal(s);
        }
    }

    private void Establish()
    {
        StopEvents();
        var opened = OpenDirectory();
        if (opened is null)
        {
            _watchedDirectory = null;
            _heldDirectory?.Dispose();
            _heldDirectory = null;
            SetState(WatchState.WaitingForDirectory);
            if (!_waitingLogged)
            {
                _waitingLogged = true;
                Log.WaitingForDirectory(_log, _directory);
            }

            return;
        }

        if (_waitingLogged)
        {
            _waitingLogged = false;
            Log.DirectoryAppeared(_log, _directory);
        }

        _watchedDirectory = (opened.Stat.Device, opened.Stat.Inode);
        HoldDirectory(opened);
        _lastFingerprint = FileFingerprint();
        if (_options.Watch == WatchMode.Poll)
        {
            SetState(WatchState.Polling);
            return;
        }

        try
        {
            var watcher = _createWatcher(HandlePath(opened));
            watcher.IncludeSubdirectories = false;
            watcher.NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size;
            watcher.Changed += OnChanged;
            watcher.Created += OnChanged;
            watcher.Deleted += OnChanged;
            watcher.Renamed += OnRenamed;
            watcher.Error += OnError;
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
            SetState(WatchState.Events);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            // Typically the per-user inotify instance limit (128), shared by every container of a uid on a host.
            StopEvents();
            if (_options.Watch == WatchMode.Events)
            {
                SetState(WatchState.Failed);
                Log.WatcherError(_log, _directory, ex.Message);
                return;
            }

            SetState(WatchState.Polling);
            if (!_fallbackLogged)
            {
                _fallbackLogged = true;
                Log.PollingFallback(_log, _directory, ex.Message, _options.PollInterval.TotalMilliseconds);
            }
        }
    }

    /// <summary>
    /// The watched directory is held open: its inode cannot be reused by a recreated directory (which would then
    /// look unchanged to lstat), and a link count of zero says it was removed.
    /// </summary>
    private bool HeldDirectoryRemoved()
    {
        try
        {
            return _heldDirectory is not null && _fs.FStat(_heldDirectory.Handle, _directory).Links == 0;
        }
        catch (PosixException)
        {
            return true;
        }
    }

    private void HoldDirectory(SettingsDirectory directory)
    {
        _heldDirectory?.Dispose();
        _heldDirectory = directory;
    }

    /// <summary>
    /// Polling (or waiting for the directory) needs the short period; with events the probe only has to notice a
    /// replaced directory, and a longer period keeps an idle guardian near zero CPU.
    /// </summary>
    private TimeSpan ProbePeriod => State == WatchState.Events ? _options.DirectoryCheckInterval : _options.PollInterval;

    private void SetState(WatchState state)
    {
        State = state;
        if (_probe is not null && ProbePeriod != _probePeriod)
        {
            _probePeriod = ProbePeriod;
            _probe.Change(_probePeriod, _probePeriod);
        }
    }

    private void StopEvents()
    {
        if (_watcher is { } watcher)
        {
            _watcher = null;
            watcher.EnableRaisingEvents = false;
            watcher.Changed -= OnChanged;
            watcher.Created -= OnChanged;
            watcher.Deleted -= OnChanged;
            watcher.Renamed -= OnRenamed;
            watcher.Error -= OnError;
            watcher.Dispose();
        }
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        if (string.Equals(e.Name, _fileName, StringComparison.Ordinal))
        {
            Raise(WatchSignal.Changed);
        }
    }

    private void OnRenamed(object sender, RenamedEventArgs e)
    {
        // A rename touches both names: settings.json.tmp -> settings.json, or settings.json -> elsewhere.
        if (string.Equals(e.Name, _fileName, StringComparison.Ordinal) || string.Equals(e.OldName, _fileName, StringComparison.Ordinal))
        {
            Raise(WatchSignal.Changed);
        }
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        try
        {
            lock (_gate)
            {
                if (_disposed || !ReferenceEquals(sender, _watcher))
                {
                    return;
                }

                Log.WatcherError(_log, _directory, e.GetException().Message);
                Establish();
            }

            Raise(WatchSignal.Rescan);
        }
#pragma warning disable CA1031 // An exception escaping a watcher callback would take the process down.
        catch (Exception)
#pragma warning restore CA1031
        {
            Raise(WatchSignal.Rescan);
        }
    }

    private void Raise(WatchSignal signal)
    {
        try
        {
            _onSignal(signal);
        }
#pragma warning disable CA1031 // An exception escaping a watcher callback would take the process down.
        catch (Exception)
#pragma warning restore CA1031
        {
            // The periodic re-check is the safety net.
        }
    }

    /// <summary>
    /// The path of the walked directory's own handle. The kernel resolves <c>/proc/self/fd/N</c> to the very directory
    /// the handle holds (.NET adds its root watch with links followed and does not resolve the path itself), so the
    /// watch lands where the walk did, whatever the configured path names by then. Without /proc the watcher cannot
    /// start, and the guardian polls through the handle instead.
    /// </summary>
    private static string HandlePath(SettingsDirectory directory) =>
        "/proc/self/fd/" + directory.Handle.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The directory as a heal finds it: the identity step first (nothing is watched before whom the guardian acts as
    /// is settled), then the walk under the settled policy. Null when it is missing, refused (the heal reports why) or
    /// out of reach (said here, once per reason); the watch then waits for it.
    /// </summary>
    private SettingsDirectory? OpenDirectory()
    {
        try
        {
            var directory = _privilege.Settle() == IdentityState.Settled ? _privilege.Open().Directory : null;
            _unreachableLogged = null;
            return directory;
        }
        catch (PosixException ex)
        {
            if (ex.Message != _unreachableLogged)
            {
                _unreachableLogged = ex.Message;
                var hint = ex.ErrorNumber is Errno.EACCES or Errno.EPERM ? _privilege.AccessHint(ex) : "it may be in the middle of a change";
                Log.DirectoryUnreachable(_log, _directory, ex.Message, hint, _options.PollInterval.TotalMilliseconds);
            }

            return null;
        }
    }

    private (ulong, ulong)? StatDirectory()
    {
        using var dir = OpenDirectory();
        return dir is null ? null : (dir.Stat.Device, dir.Stat.Inode);
    }

    private (ulong Device, ulong Inode, long Size, long MtimeNs, long CtimeNs)? FileFingerprint()
    {
        try
        {
            return _heldDirectory is null ? null : _fs.StatAt(_heldDirectory.Handle, _fileName, Path.Combine(_directory, _fileName))?.Fingerprint;
        }
        catch (PosixException)
        {
            return null;
        }
    }
}

internal enum WatchState
{
    Stopped,
    Events,
    Polling,
    WaitingForDirectory,

    /// <summary>Watch=Events and no watcher could be started; retried at every probe.</summary>
    Failed,
}
