using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Deploy;

/// <summary>
/// A temp directory with stand-ins for the guardian binary and the concierge runtime, both bash scripts that record
/// what happens to them in one log file:
/// <list type="bullet">
/// <item>guardian <c>heal</c>: takes 200 ms (so a runtime started without waiting for it would see no heal), logs
/// <c>heal &lt;time&gt;</c>, exits <c>STANDIN_HEAL_EXIT</c> (default 0).</item>
/// <item>guardian <c>run</c>: logs <c>run-start &lt;pid&gt;</c>, then blocks until SIGTERM and logs
/// <c>run-stop &lt;pid&gt;</c>; with <c>STANDIN_RUN_EXIT</c> it exits with that status at once instead.</item>
/// <item>runtime: logs <c>runtime-start heal-seen|heal-missing &lt;pid&gt;</c> (whether the heal line was already in
/// the log), then blocks until SIGTERM, logs <c>runtime-stop</c> and exits <c>STANDIN_RUNTIME_TERM_EXIT</c> (default 0);
/// with <c>STANDIN_RUNTIME_EXIT</c> it waits until a guardian <c>run</c> has started and exits with that status.</item>
/// </list>
/// The stand-ins block by reading a FIFO nobody writes, so they have no child processes that could outlive them.
/// Traps are set before the start line is logged: once a line is in the log, the process handles SIGTERM.
/// </summary>
internal sealed class WrapperSandbox : IDisposable
{
    private const string Guardian = """
        #!/usr/bin/env bash
        log=$STANDIN_LOG
        case ${1-} in
        heal)
            sleep 0.2
            printf 'heal %s\n' "$EPOCHREALTIME" >>"$log"
            exit "${STANDIN_HEAL_EXIT:-0}"
            ;;
        run)
            trap 'printf "run-stop %s\n" "$$" >>"$log"; exit 0' TERM
            printf 'run-start %s\n' "$$" >>"$log"
            if [[ -n ${STANDIN_RUN_EXIT-} ]]; then
                exit "$STANDIN_RUN_EXIT"
            fi
            read -r _ <>"$STANDIN_FIFO"
            ;;
        esac
        exit 2
        """;

    private const string Runtime = """
        #!/usr/bin/env bash
        log=$STANDIN_LOG
        seen=heal-missing
        if grep -q '^heal ' "$log" 2>/dev/null; then
            seen=heal-seen
        fi
        trap 'printf "runtime-stop %s\n" "$$" >>"$log"; exit "${STANDIN_RUNTIME_TERM_EXIT:-0}"' TERM
        printf 'runtime-start %s %s\n' "$seen" "$$" >>"$log"
        if [[ -n ${STANDIN_RUNTIME_EXIT-} ]]; then
            for _ in $(seq 1000); do
                grep -q '^run-start ' "$log" && exit "$STANDIN_RUNTIME_EXIT"
                sleep 0.01
            done
            exit 99
        fi
        read -r _ <>"$STANDIN_FIFO"
        """;

    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("guardian-entrypoint-");
    private readonly string _log;
    private ProcessRunner? _wrapper;

    public WrapperSandbox()
    {
        _log = Path.Combine(_dir.FullName, "standin.log");
        File.WriteAllText(_log, string.Empty);
        Posix.MakeFifo(Path.Combine(_dir.FullName, "block"));
        WriteScript("molecule-guardian", Guardian);
        WriteScript("runtime", Runtime);
    }

    public static string WrapperPath { get; } = RepoPaths.Of("deploy", "container", "guardian-entrypoint.sh");

    public ProcessRunner Wrapper => _wrapper ?? throw new InvalidOperationException("Start the wrapper first.");

    /// <summary>Starts <c>bash guardian-entrypoint.sh &lt;runtime stand-in&gt;</c> with 1 s restart back-off.</summary>
    public ProcessRunner Start(params (string Name, string Value)[] environment)
    {
        var bash = RequiredTool.Find("bash", "bash");
        var env = new Dictionary<string, string?>
        {
            ["GUARDIAN_BIN"] = Path.Combine(_dir.FullName, "molecule-guardian"),
            ["GUARDIAN_USER"] = "",
            ["GUARDIAN_RESTART_MIN_SECONDS"] = "1",
            ["GUARDIAN_RESTART_MAX_SECONDS"] = "1",
            ["STANDIN_LOG"] = _log,
            ["STANDIN_FIFO"] = Path.Combine(_dir.FullName, "block"),
        };
        foreach (var (name, value) in environment)
        {
            env[name] = value;
        }

        _wrapper = ProcessRunner.Start(bash, [WrapperPath, Path.Combine(_dir.FullName, "runtime")], env);
        return _wrapper;
    }

    /// <summary>Complete lines of the stand-ins' log (a line still being appended is left out).</summary>
    public IReadOnlyList<string> LogLines()
    {
        var text = File.ReadAllText(_log);
        var end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n');
    }

    public List<int> RunStartPids() =>
        LogLines().Where(line => line.StartsWith("run-start ", StringComparison.Ordinal))
            .Select(line => int.Parse(line["run-start ".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

    public bool Logged(string prefix) => LogLines().Any(line => line.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The log and the wrapper's own output, for failure messages.</summary>
    public string Describe() =>
        $"stand-in log:\n{string.Join('\n', LogLines())}\nwrapper output:\n{_wrapper?.Output}";

    public Task WaitUntilAsync(Func<bool> condition, string what) => Eventually.TrueAsync(condition, what, context: Describe);

    public void Dispose()
    {
        _wrapper?.Dispose();
        _dir.Delete(recursive: true);
    }

    private void WriteScript(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, Executable);
    }
}
