using System.Text.Json;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Cli;

/// <summary>
/// The built binary as <c>supervise -- &lt;runtime stand-in&gt;</c> in a temp directory, with the real guardian as its
/// heal and run (as the test's own user: <c>Supervisor:RunAs</c> empty). The runtime stand-in (POSIX sh) prints
/// <c>runtime-start entry=present|missing</c> (whether settings.json held the protected entry when it started), then
/// waits; on SIGTERM it prints <c>runtime-stop</c> and exits 23. <c>RUNTIME_EXIT=n</c> makes it exit n at once
/// instead, <c>RUNTIME_EXIT=kill</c> kill itself with SIGKILL.
/// </summary>
internal sealed class SuperviseSandbox : IDisposable
{
    public const int RuntimeTermStatus = 23;

    private const string Runtime = """
        #!/bin/sh
        entry=missing
        grep -q '"molecule-platform"' "$STANDIN_SETTINGS" 2>/dev/null && entry=present
        case ${RUNTIME_EXIT-} in
        kill) kill -KILL $$ ;;
        ?*) echo "runtime-start entry=$entry"; exit "$RUNTIME_EXIT" ;;
        esac
        sleep 600 >/dev/null 2>&1 &
        sleeper=$!
        trap 'kill "$sleeper"; echo runtime-stop; exit 23' TERM
        echo "runtime-start entry=$entry"
        wait "$sleeper"
        """;

    /// <summary>
    /// A guardian whose heal never finishes on its own: it marks <c>heal-start</c> in <see cref="Marks"/> beside it
    /// (found from its own path: the guardian's children get no test variables) and waits for SIGTERM.
    /// </summary>
    private const string SlowHealGuardian = """
        #!/bin/sh
        [ "$1" = heal ] || exit 2
        sleep 600 >/dev/null 2>&1 &
        sleeper=$!
        trap 'kill "$sleeper"; exit 0' TERM
        echo heal-start >>"$(dirname "$0")/marks"
        wait "$sleeper"
        """;

    private readonly TempDirectory _temp = new();

    public SuperviseSandbox()
    {
        SettingsPath = _temp.SettingsPath();
        Write("runtime", Runtime);
        Write("slow-heal-guardian", SlowHealGuardian);
    }

    public string SettingsPath { get; }

    public string Marks => _temp.Combine("marks");

    public string SlowHealGuardianPath => _temp.Combine("slow-heal-guardian");

    public ProcessRunner? Supervisor { get; private set; }

    /// <summary>Starts the supervisor with the gate on; <paramref name="args"/> go before <c>--</c>.</summary>
    public ProcessRunner Start(IEnumerable<string> args, params (string Name, string Value)[] environment)
    {
        var env = new Dictionary<string, string?>
        {
            ["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1",
            ["STANDIN_SETTINGS"] = SettingsPath,
        };
        foreach (var (name, value) in environment)
        {
            env[name] = value;
        }

        Supervisor = ProcessRunner.Start(ProcessRunner.SupervisorBinary,
            [$"--Guardian:SettingsPath={SettingsPath}", "--Supervisor:RunAs=", "--Supervisor:RestartMinDelay=100ms", .. args, "--", _temp.Combine("runtime")],
            env);
        return Supervisor;
    }

    /// <summary>The JSON events on stdout named <paramref name="name"/>.</summary>
    public List<JsonElement> Events(string name)
    {
        var events = new List<JsonElement>();
        foreach (var line in (Supervisor?.StandardOutput ?? "").Split('\n').Where(l => l.StartsWith('{') && JsonLines.IsWholeJson(l)))
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("EventId", out var id) && id.GetProperty("Name").GetString() == name)
            {
                events.Add(doc.RootElement.Clone());
            }
        }

        return events;
    }

    public Task WaitForEventAsync(string name, int count = 1) =>
        Eventually.TrueAsync(() => Events(name).Count >= count, $"{count} {name} event(s)", context: Describe);

    public Task WaitForOutputAsync(string text) =>
        Eventually.TrueAsync(() => Supervisor!.StandardOutput.Contains(text, StringComparison.Ordinal), $"'{text}' on stdout", context: Describe);

    public string Describe() => $"supervisor output:\n{Supervisor?.Output}";

    public void Dispose()
    {
        Supervisor?.Dispose();
        _temp.Dispose();
    }

    private void Write(string name, string content)
    {
        var path = _temp.Combine(name);
        File.WriteAllText(path, content.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
