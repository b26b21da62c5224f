using System.Diagnostics;
using System.Text;

namespace MoleculeGuardian.Tests.Support;

/// <summary>
/// A child process with stdout and stderr captured (apart and interleaved), signalled like a supervisor would,
/// awaited with a timeout, and killed with its whole tree on dispose so a failing test leaves nothing running.
/// </summary>
internal sealed class ProcessRunner : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private ProcessRunner(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything written so far, stdout and stderr interleaved as received.</summary>
    public string Output => Read(_output);

    public string StandardOutput => Read(_stdout);

    public string StandardError => Read(_stderr);

    /// <summary>The built guardian binary, next to the test assembly (the test project references it).</summary>
    public static string GuardianBinary => Path.Combine(AppContext.BaseDirectory, "molecule-guardian");

    /// <summary>The guardian with the OTLP exporter, built beside it.</summary>
    public static string OtelBinary => Path.Combine(AppContext.BaseDirectory, "molecule-guardian-otel");

    /// <summary>The container's supervisor, built beside the guardian (it starts <see cref="GuardianBinary"/> by default).</summary>
    public static string SupervisorBinary => Path.Combine(AppContext.BaseDirectory, "molecule-guardian-supervise");

    public static ProcessRunner Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Tests decide the gate; whatever the machine has must not leak in.
        startInfo.Environment.Remove("MOLECULE_PLATFORM_AGENT_IMAGE_BAKED");
        startInfo.Environment.Remove("MOLECULE_DECLARED_PLUGINS");

        // The baked image's world unless a test says otherwise: the configured command is on PATH.
        startInfo.Environment["PATH"] = StubCommands.PathWith(StubCommands.BakedDirectory);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        var process = new Process { StartInfo = startInfo };
        var runner = new ProcessRunner(process);
        process.OutputDataReceived += (_, e) => runner.Append(e.Data, runner._stdout);
        process.ErrorDataReceived += (_, e) => runner.Append(e.Data, runner._stderr);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return runner;
    }

    /// <summary>Runs a command to completion: exit code, stdout, stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        using var runner = Start(fileName, arguments, environment);
        var exitCode = await runner.WaitForExitAsync(Eventually.DefaultTimeout);
        return (exitCode, runner.StandardOutput, runner.StandardError);
    }

    /// <summary>Runs a tool to completion: exit code and everything it wrote, interleaved.</summary>
    public static async Task<(int ExitCode, string Output)> RunToolAsync(string fileName, params string[] arguments)
    {
        using var runner = Start(fileName, arguments);
        var exitCode = await runner.WaitForExitAsync(Eventually.DefaultTimeout);
        return (exitCode, runner.Output);
    }

    public void Signal(int signal) => Posix.Kill(_process.Id, signal);

    /// <summary>Waits for the exit and the end of its output; fails the test with the output so far on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"'{_process.StartInfo.FileName}' did not exit within {timeout.TotalSeconds}s. Output so far:\n{Output}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }

        _process.Dispose();
    }

    private static string Read(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }

    private void Append(string? line, StringBuilder stream)
    {
        if (line is null)
        {
            return;
        }

        lock (stream)
        {
            stream.AppendLine(line);
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
