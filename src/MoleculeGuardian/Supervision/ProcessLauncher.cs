using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MoleculeGuardian.Supervision;

/// <summary>
/// Children as <see cref="Process"/>: stdin, stdout and stderr shared with the supervisor unless captured, the user
/// set through <see cref="ProcessStartInfo.UserName"/> (on Unix: uid, gid and the user's supplementary groups).
/// </summary>
internal sealed partial class ProcessLauncher : IChildLauncher
{
    public IChildProcess Start(ChildSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var startInfo = new ProcessStartInfo(spec.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = spec.CaptureOutput,
            WorkingDirectory = spec.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var name in spec.RemoveEnvironment)
        {
            startInfo.Environment.Remove(name);
        }

        if (!string.IsNullOrEmpty(spec.UserName))
        {
            startInfo.UserName = spec.UserName;
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{spec.FileName} did not start");
        return new Child(process, spec.CaptureOutput);
    }

    /// <summary>
    /// .NET reaps the child itself (its SIGCHLD handler calls waitpid for the children it started) and reports a child
    /// killed by signal n as exit code 128+n, which is what a container's status must be: nothing to map.
    /// </summary>
    private sealed partial class Child : IChildProcess
    {
        private readonly Process _process;
        private readonly Lock _gate = new();
        private bool _disposed;

        public Child(Process process, bool captured)
        {
            _process = process;
            Pid = process.Id;
            Output = captured ? process.StandardOutput.ReadToEndAsync() : Task.FromResult(string.Empty);
            Exited = WaitAsync();
        }

        public int Pid { get; }

        public Task<int> Exited { get; }

        public Task<string> Output { get; }

        /// <summary>
        /// The pid is signalled only while .NET has not reaped the child (HasExited reaps it if it is a zombie), so a
        /// reused pid is never signalled; the same check <see cref="Process.Kill()"/> makes.
        /// </summary>
        public void Signal(int signal)
        {
            lock (_gate)
            {
                if (!_disposed && !_process.HasExited)
                {
                    _ = Kill(Pid, signal);
                }
            }
        }

        private async Task<int> WaitAsync()
        {
            await _process.WaitForExitAsync().ConfigureAwait(false);
            lock (_gate)
            {
                var exitCode = _process.ExitCode;
                _disposed = true;
                _process.Dispose();
                return exitCode;
            }
        }

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static partial int Kill(int pid, int signal);
    }
}
