using Microsoft.Extensions.Logging;
using MoleculeGuardian.Logging;

namespace MoleculeGuardian.Supervision;

/// <summary>The supervisor's events (<c>molecule-guardian-supervise</c>): the same pipeline, format and id space (<see cref="GuardianEvent"/>) as the guardian's, ids 40-54.</summary>
internal static partial class SupervisorLog
{
    [LoggerMessage(EventId = (int)GuardianEvent.RuntimeStarted, EventName = nameof(GuardianEvent.RuntimeStarted), Level = LogLevel.Information,
        Message = "Started the runtime {Command} (pid {Pid})")]
    public static partial void RuntimeStarted(ILogger logger, string command, int pid);

    [LoggerMessage(EventId = (int)GuardianEvent.RuntimeExited, EventName = nameof(GuardianEvent.RuntimeExited), Level = LogLevel.Information,
        Message = "The runtime exited with status {ExitCode}; the container exits with it")]
    public static partial void RuntimeExited(ILogger logger, int exitCode);

    [LoggerMessage(EventId = (int)GuardianEvent.GuardianStarted, EventName = nameof(GuardianEvent.GuardianStarted), Level = LogLevel.Information,
        Message = "Started the guardian (pid {Pid}) as {User}")]
    public static partial void GuardianStarted(ILogger logger, int pid, string user);

    [LoggerMessage(EventId = (int)GuardianEvent.GuardianExited, EventName = nameof(GuardianEvent.GuardianExited), Level = LogLevel.Warning,
        Message = "The guardian exited with status {ExitCode} after {RanForMs:0} ms; restarting it in {RestartInMs:0} ms")]
    public static partial void GuardianExited(ILogger logger, int exitCode, double ranForMs, double restartInMs);

    [LoggerMessage(EventId = (int)GuardianEvent.GuardianGaveUp, EventName = nameof(GuardianEvent.GuardianGaveUp), Level = LogLevel.Error,
        Message = "The guardian exited with status {ExitCode} (invalid configuration); not restarting it. The runtime keeps running unguarded: fix the setting named above and restart the container")]
    public static partial void GuardianGaveUp(ILogger logger, int exitCode);

    [LoggerMessage(EventId = (int)GuardianEvent.SignalForwarded, EventName = nameof(GuardianEvent.SignalForwarded), Level = LogLevel.Information,
        Message = "Received {Signal}; forwarded it to {Targets}")]
    public static partial void SignalForwarded(ILogger logger, string signal, string targets);

    [LoggerMessage(EventId = (int)GuardianEvent.StartupHealFailed, EventName = nameof(GuardianEvent.StartupHealFailed), Level = LogLevel.Warning,
        Message = "The startup heal failed with status {ExitCode} ({Answer}); starting the runtime anyway, the guardian retries")]
    public static partial void StartupHealFailed(ILogger logger, int exitCode, string answer);

    [LoggerMessage(EventId = (int)GuardianEvent.StoppedBeforeRuntime, EventName = nameof(GuardianEvent.StoppedBeforeRuntime), Level = LogLevel.Warning,
        Message = "Stopped by {Signal} before the runtime started; exiting with {ExitCode}")]
    public static partial void StoppedBeforeRuntime(ILogger logger, string signal, int exitCode);

    [LoggerMessage(EventId = (int)GuardianEvent.ChildKilled, EventName = nameof(GuardianEvent.ChildKilled), Level = LogLevel.Warning,
        Message = "The {Child} (pid {Pid}) did not exit within {TimeoutMs:0} ms; killed it")]
    public static partial void ChildKilled(ILogger logger, string child, int pid, double timeoutMs);

    [LoggerMessage(EventId = (int)GuardianEvent.StartFailed, EventName = nameof(GuardianEvent.StartFailed), Level = LogLevel.Error,
        Message = "Could not start the {Child} {Command}: {Error}")]
    public static partial void StartFailed(ILogger logger, string child, string command, string error);

    [LoggerMessage(EventId = (int)GuardianEvent.SignalPassedOn, EventName = nameof(GuardianEvent.SignalPassedOn), Level = LogLevel.Information,
        Message = "Received {Signal}; passed it on to {Target}")]
    public static partial void SignalPassedOn(ILogger logger, string signal, string target);

    [LoggerMessage(EventId = (int)GuardianEvent.SignalsRepeated, EventName = nameof(GuardianEvent.SignalsRepeated), Level = LogLevel.Information,
        Message = "Received {Signal} {Count} more times in the last {WindowMs:0} ms; passed on to {Target}")]
    public static partial void SignalsRepeated(ILogger logger, string signal, int count, double windowMs, string target);
}
