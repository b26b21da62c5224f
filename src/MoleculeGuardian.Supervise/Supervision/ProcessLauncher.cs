using System.Diagnostics;
using System.Runtime.InteropServices;
using MoleculeGuardian.Files;

namespace MoleculeGuardian.Supervision;

/// <summary>
/// Children as <see cref="Process"/>: stdin, stdout and stderr shared with the supervisor unless captured. The program
/// is found through PATH only (<see cref="CommandPath"/>), never in the binary's or the working directory. The user is
/// set through <see cref="ProcessStartInfo.UserName"/> (on Unix: uid, gid and the user's supplementary groups).
/// </summary>
internal sealed partial class ProcessLauncher : IChildLauncher
{
    public IChildProcess Start(ChildSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var fileName = CommandPath.Resolve(spec.FileName, System.Environment.GetEnvironmentVariable("PATH"),
            spec.WorkingDirectory ?? Directory.GetCurrentDirectory(), IsExecutable);
        var user = spec.RunAs is { Length: > 0 } runAs ? Resolve(runAs) : null;
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = spec.CaptureOutput,
            WorkingDirectory = spec.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (user is not null && (user.Uid != Geteuid() || user.Gid != Getegid()))
        {
            startInfo.UserName = user.Name;
        }

        if (spec.Environment is { } environment)
        {
            startInfo.Environment.Clear();
            foreach (var (name, value) in environment)
            {
                startInfo.Environment[name] = value;
            }

            SetUser(startInfo.Environment, user ?? ChildUsers.Current());
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{spec.FileName} did not start");
        return new Child(process, spec.CaptureOutput);
    }

    /// <summary>HOME, USER and LOGNAME of the user the child runs as (a user without an entry: HOME=/ and no name).</summary>
    private static void SetUser(IDictionary<string, string?> environment, UserEntry? user)
    {
        environment["HOME"] = user?.Home ?? "/";
        foreach (var name in new[] { "USER", "LOGNAME" })
        {
            if (user is null)
            {
                environment.Remove(name);
            }
            else
            {
                environment[name] = user.Name;
            }
        }
    }

    private static UserEntry Resolve(string runAs)
    {
        try
        {
            return ChildUsers.ResolveRunAs(runAs);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"Supervisor:RunAs {ex.Message}", ex);
        }
    }

    /// <summary>What execve would run: a file (symlinks followed) the supervisor may execute.</summary>
    private static bool IsExecutable(string path) => File.Exists(path) && Access(path, XOk) == 0;

    private const int XOk = 1;

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint Geteuid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    private static partial uint Getegid();

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
