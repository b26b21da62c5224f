using System.Diagnostics;
using System.Globalization;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>Something that keeps the entry in settings.json: the guardian binary, or the inotifywait + jq loop.</summary>
internal abstract class Subject
{
    public abstract string Name { get; }

    /// <summary>Processes in its tree when it has nothing to do: anything more is a reaction still running.</summary>
    public abstract int ProcessesAtRest { get; }

    /// <summary>Starts it on <paramref name="settingsPath"/>, as a user would: no settings beyond the path.</summary>
    public RunningSubject Start(string settingsPath)
    {
        var info = StartInfo(settingsPath);
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

    protected abstract ProcessStartInfo StartInfo(string settingsPath);

    /// <summary>True for the output line the subject writes once per write of the file.</summary>
    public abstract bool IsHealLine(string line);

    /// <summary>The guardian's event id of a CLEF line, null for other lines.</summary>
    public virtual int? EventId(string line) => null;

    public abstract void Stop(Process process);
}

/// <summary>The guardian; <paramref name="environment"/> adds variables (the telemetry cost run sets OTEL_* ones).</summary>
internal sealed class GuardianSubject(string binary, IReadOnlyDictionary<string, string>? environment = null) : Subject
{
    public const int HealedEvent = 3;
    public const int FightingEvent = 18;

    public override string Name => "guardian";

    public override int ProcessesAtRest => 1;

    /// <summary>Shipped defaults: only the path, and the gate that says this is a platform-agent image.</summary>
    protected override ProcessStartInfo StartInfo(string settingsPath)
    {
        var info = new ProcessStartInfo(binary) { ArgumentList = { "run", $"--Guardian:SettingsPath={settingsPath}" } };
        info.Environment["MOLECULE_PLATFORM_AGENT_IMAGE_BAKED"] = "1";

        // The baked image's world: its MCP command is on PATH (the guardian writes no entry whose command does not resolve).
        info.Environment["PATH"] = BakedCommand.Directory + ":" + (info.Environment.TryGetValue("PATH", out var path) ? path : "/usr/bin:/bin");
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name); // the machine's own must not turn export on
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return info;
    }

    public override bool IsHealLine(string line) => EventId(line) == HealedEvent;

    public override int? EventId(string line)
    {
        const string Key = "\"EventId\":{\"Id\":";
        var at = line.IndexOf(Key, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var rest = line.AsSpan(at + Key.Length);
        var end = rest.IndexOfAny(',', '}');
        return end > 0 && int.TryParse(rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

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

    /// <summary>bash running the script, inotifywait, and the subshell of the while loop (jq and mv come and go).</summary>
    public override int ProcessesAtRest => 3;

    protected override ProcessStartInfo StartInfo(string settingsPath) =>
        new("bash") { ArgumentList = { script, settingsPath } };

    public override bool IsHealLine(string line) => line.StartsWith("healed", StringComparison.Ordinal);

    public override void Stop(Process process)
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }
}

/// <summary>One heal line: when the harness received it, and the guardian's own numbers in it.</summary>
internal readonly record struct HealLine(long At, double? DurationMs, double? AbsentMs);

internal sealed class RunningSubject(Subject subject, Process process) : IDisposable
{
    // An object, not a Lock: WaitForHeals waits on it with Monitor.Wait.
    private readonly object _gate = new();
    private readonly List<HealLine> _heals = [];
    private readonly Dictionary<int, int> _events = [];
    private readonly List<string> _errors = [];
    private readonly List<string> _warnings = [];

    public Subject Subject => subject;

    public int Pid => process.Id;

    public int HealCount
    {
        get
        {
            lock (_gate)
            {
                return _heals.Count;
            }
        }
    }

    public List<HealLine> HealsSince(int index)
    {
        lock (_gate)
        {
            return _heals.GetRange(index, _heals.Count - index);
        }
    }

    /// <summary>How many lines with this guardian event id came so far.</summary>
    public int EventCount(int id)
    {
        lock (_gate)
        {
            return _events.GetValueOrDefault(id);
        }
    }

    public Dictionary<int, int> EventCounts()
    {
        lock (_gate)
        {
            return new Dictionary<int, int>(_events);
        }
    }

    /// <summary>The guardian's events by id since <paramref name="before"/> (an earlier <see cref="EventCounts"/>).</summary>
    public Dictionary<int, int> EventsSince(Dictionary<int, int> before) =>
        EventCounts().Select(e => (e.Key, Count: e.Value - before.GetValueOrDefault(e.Key))).Where(e => e.Count > 0).ToDictionary(e => e.Key, e => e.Count);

    /// <summary>The first warning and error lines of the guardian (CLEF), for the report's evidence.</summary>
    public List<string> Warnings()
    {
        lock (_gate)
        {
            return [.. _warnings];
        }
    }

    public string Errors()
    {
        lock (_gate)
        {
            return string.Join(" | ", _errors);
        }
    }

    /// <summary>Waits for the heal line number <paramref name="count"/> (1-based) to arrive.</summary>
    public bool WaitForHeals(int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            while (_heals.Count < count)
            {
                var left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0 || !Monitor.Wait(_gate, TimeSpan.FromSeconds((double)left / Stopwatch.Frequency)))
                {
                    return _heals.Count >= count;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Waits until the subject has done nothing visible for <paramref name="quiet"/>: no heal line, no process beyond
    /// its resting ones and, with <paramref name="cpu"/>, no CPU tick of its tree. Nothing announces "no more
    /// reactions", so this samples (every <paramref name="sample"/>). False if <paramref name="cap"/> passed first.
    /// </summary>
    public bool WaitAtRest(TimeSpan quiet, TimeSpan cap, TimeSpan sample, bool cpu)
    {
        var start = Stopwatch.GetTimestamp();
        var restSince = start;
        var heals = HealCount;
        var ticks = cpu ? ProcTree.CpuSeconds(Pid) : 0;
        while (Stopwatch.GetElapsedTime(start) < cap)
        {
            Thread.Sleep(sample);
            var nowHeals = HealCount;
            var nowTicks = cpu ? ProcTree.CpuSeconds(Pid) : 0;
            if (nowHeals != heals || nowTicks != ticks || ProcTree.Tree(Pid).Count > subject.ProcessesAtRest)
            {
                (heals, ticks, restSince) = (nowHeals, nowTicks, Stopwatch.GetTimestamp());
            }
            else if (Stopwatch.GetElapsedTime(restSince) >= quiet)
            {
                return true;
            }
        }

        return false;
    }

    public void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        var id = subject.EventId(line);
        var heal = subject.IsHealLine(line);
        lock (_gate)
        {
            if (id is { } eventId)
            {
                _events[eventId] = _events.GetValueOrDefault(eventId) + 1;
                if (_warnings.Count < 50 && (line.Contains("\"@l\":\"Warning\"", StringComparison.Ordinal) || line.Contains("\"@l\":\"Error\"", StringComparison.Ordinal)))
                {
                    _warnings.Add(line);
                }
            }

            if (heal)
            {
                _heals.Add(new HealLine(Stopwatch.GetTimestamp(), Number(line, "DurationMs"), Number(line, "AbsentMs")));
                Monitor.PulseAll(_gate);
            }
        }
    }

    public void OnError(string? line)
    {
        if (!string.IsNullOrWhiteSpace(line))
        {
            lock (_gate)
            {
                if (_errors.Count < 20)
                {
                    _errors.Add(line);
                }
            }
        }
    }

    /// <summary>A top-level number property of a CLEF line ("Name":1.23), null when absent or null.</summary>
    private static double? Number(string line, string name)
    {
        var key = "\"" + name + "\":";
        var at = line.IndexOf(key, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var value = line.AsSpan(at + key.Length);
        var end = value.IndexOfAny(',', '}');
        return end > 0 && double.TryParse(value[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null;
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

/// <summary>A stand-in for the baked image's <c>molecule-platform-mcp</c>, made once per harness run.</summary>
internal static class BakedCommand
{
    private static readonly Lazy<string> Made = new(() =>
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("mg-bench-bin-").FullName;
        var stub = Path.Combine(directory, "molecule-platform-mcp");
        File.WriteAllText(stub, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(stub, (UnixFileMode)Convert.ToInt32("755", 8));
        return directory;
    });

    public static string Directory => Made.Value;
}
