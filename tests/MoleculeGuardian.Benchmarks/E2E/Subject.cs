using System.Collections.Concurrent;
using System.Diagnostics;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>Something that keeps the entry in settings.json: the guardian binary, or the inotifywait + jq loop.</summary>
internal abstract class Subject
{
    public abstract string Name { get; }

    /// <summary>Starts it on <paramref name="settingsPath"/>; <paramref name="debounce"/> is null for the defaults.</summary>
    public RunningSubject Start(string settingsPath, TimeSpan? debounce)
    {
        var info = StartInfo(settingsPath, debounce);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.WorkingDirectory = Path.GetDirectoryName(settingsPath)!;
        var process = new Process { StartInfo = info };
        var running = new RunningSubject(this, process);
        process.OutputDataReceived += (_, e) => running.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => running.OnError(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    protected abstract ProcessStartInfo StartInfo(string settingsPath, TimeSpan? debounce);

    /// <summary>True for the output line the subject writes once per write of the file.</summary>
    public abstract bool IsHealLine(string line);

    public abstract void Stop(Process process);
}

internal sealed class GuardianSubject(string binary) : Subject
{
    public override string Name => "guardian";

    protected override ProcessStartInfo StartInfo(string settingsPath, TimeSpan? debounce)
    {
        var info = new ProcessStartInfo(binary) { ArgumentList = { "run", $"--Guardian:SettingsPath={settingsPath}" } };
        if (debounce is { } d)
        {
            info.ArgumentList.Add($"--Guardian:Debounce={d:c}");
        }

        info.Environment["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1";
        return info;
    }

    public override bool IsHealLine(string line) => line.Contains("\"EventId\":{\"Id\":3,\"Name\":\"Healed\"}", StringComparison.Ordinal);

    public override void Stop(Process process)
    {
        _ = Native.Kill(process.Id, Native.SigTerm);
        if (!process.WaitForExit(10_000))
        {
            process.Kill(entireProcessTree: true);
        }
    }
}

internal sealed class BaselineSubject(string script) : Subject
{
    public override string Name => "baseline";

    protected override ProcessStartInfo StartInfo(string settingsPath, TimeSpan? debounce) =>
        new("bash") { ArgumentList = { script, settingsPath } };

    public override bool IsHealLine(string line) => line.StartsWith("healed", StringComparison.Ordinal);

    public override void Stop(Process process)
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }
}

internal sealed class RunningSubject(Subject subject, Process process) : IDisposable
{
    private readonly ConcurrentQueue<long> _heals = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentQueue<double> _durations = new();

    /// <summary>"DurationMs" of each heal line that has one (the guardian's CLEF lines do).</summary>
    public IReadOnlyCollection<double> HealDurationsMs => _durations;

    public Process Process => process;

    public int Pid => process.Id;

    /// <summary>Stopwatch timestamps at which a heal line arrived.</summary>
    public IReadOnlyCollection<long> Heals => _heals;

    public IEnumerable<string> Errors => _errors;

    public void OnLine(string? line)
    {
        if (line is not null && subject.IsHealLine(line))
        {
            _heals.Enqueue(Stopwatch.GetTimestamp());
            const string Key = "\"DurationMs\":";
            var at = line.IndexOf(Key, StringComparison.Ordinal);
            if (at >= 0)
            {
                var value = line.AsSpan(at + Key.Length);
                var end = value.IndexOfAny(',', '}');
                if (end > 0 && double.TryParse(value[..end], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms))
                {
                    _durations.Enqueue(ms);
                }
            }
        }
    }

    public void OnError(string? line)
    {
        if (!string.IsNullOrWhiteSpace(line) && _errors.Count < 20)
        {
            _errors.Enqueue(line);
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            subject.Stop(process);
        }

        process.Dispose();
    }
}
