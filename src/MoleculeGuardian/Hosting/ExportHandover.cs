using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using MoleculeGuardian.Logging;
using Serilog.Extensions.Logging;

namespace MoleculeGuardian.Hosting;

/// <summary>
/// Two builds of the guardian ship side by side: <c>molecule-guardian</c> without the OTLP exporter and
/// <c>molecule-guardian-otel</c> with it. The exporter's code doubles the binary and costs about 5 MiB of memory even
/// when no endpoint is set, so the build every concierge runs leaves it out, and <c>run</c> with an endpoint set
/// replaces itself with the build that exports: <c>execv</c>, so the process id, the arguments, the environment, the
/// standard streams and systemd's view of the main process all stay the same. The build with the exporter never
/// hands over.
/// </summary>
internal static partial class ExportHandover
{
    public const string ExporterBinaryName = "molecule-guardian-otel";
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string MetricsEndpointVariable = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";

    /// <summary>Whether this build has the exporter (a property, not a constant: the code for the other build still compiles).</summary>
#if METRICS_EXPORT
    private static bool CanExport => true;
#else
    private static bool CanExport => false;
#endif

    /// <summary>
    /// True when an OTLP endpoint is set (<c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>),
    /// unless the standard switches turn it off (<c>OTEL_SDK_DISABLED=true</c>, <c>OTEL_METRICS_EXPORTER=none</c>).
    /// The SDK's own default endpoint (localhost:4318) never turns export on by itself.
    /// </summary>
    public static bool Requested(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.Equals(configuration["OTEL_SDK_DISABLED"]?.Trim(), "true", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(configuration["OTEL_METRICS_EXPORTER"]?.Trim(), "none", StringComparison.OrdinalIgnoreCase)
            && (!string.IsNullOrWhiteSpace(configuration[MetricsEndpointVariable]) || !string.IsNullOrWhiteSpace(configuration[EndpointVariable]));
    }

    /// <summary>The binary to continue as: the exporting build next to this one, when export is wanted and this build cannot.</summary>
    public static string? Target(bool canExport, bool requested, string? processPath, Func<string, bool> isFile)
    {
        ArgumentNullException.ThrowIfNull(isFile);
        if (canExport || !requested || Path.GetDirectoryName(processPath) is not { Length: > 0 } directory)
        {
            return null;
        }

        var exporter = Path.Combine(directory, ExporterBinaryName);
        return isFile(exporter) ? exporter : null;
    }

    /// <summary>
    /// For <c>run</c>, before the host is built: continues as the exporting build when export is wanted and this build
    /// has no exporter. Returns only when it does not (or the <c>execv</c> failed, which is logged).
    /// </summary>
    public static void ContinueIfNeeded(IConfiguration configuration, TextWriter logOutput)
    {
        if (CanExport || !Requested(configuration))
        {
            return;
        }

        using var serilog = LoggingOptions.From(configuration).CreateLogger(logOutput);
        using var factory = new SerilogLoggerFactory(serilog);
        var log = factory.CreateLogger(typeof(ExportHandover).FullName!);
        if (Target(CanExport, requested: true, Environment.ProcessPath, File.Exists) is not { } target)
        {
            Log.MetricsExportUnavailable(log, ExporterBinaryName, "it is not installed next to this binary");
            return;
        }

        Log.MetricsExportHandover(log, target);
        var error = Exec(target, Environment.GetCommandLineArgs()[1..]);
        Log.MetricsExportUnavailable(log, ExporterBinaryName, $"execv({target}) failed: {Files.Errno.Describe(error)}");
    }

    /// <summary>Replaces this process with <paramref name="path"/>; returns the errno only if that failed.</summary>
    private static unsafe int Exec(string path, string[] arguments)
    {
        var argv = new nint[arguments.Length + 2];
        try
        {
            argv[0] = Marshal.StringToCoTaskMemUTF8(path);
            for (var i = 0; i < arguments.Length; i++)
            {
                argv[i + 1] = Marshal.StringToCoTaskMemUTF8(arguments[i]);
            }

            // The mask is inherited across execv: a signal the runtime blocks on this thread (SIGTERM would be fatal
            // to stop) must not stay blocked in the new image.
            Span<byte> none = stackalloc byte[128]; // sigset_t
            none.Clear();
            fixed (byte* set = none)
            {
                _ = NativeMethods.sigprocmask(2 /* SIG_SETMASK */, set, null);
            }

            fixed (nint* list = argv)
            {
                _ = NativeMethods.execv(path, list);
            }

            return Marshal.GetLastPInvokeError();
        }
        finally
        {
            foreach (var pointer in argv)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    private static unsafe partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int execv(string path, nint* argv);

        [LibraryImport("libc", EntryPoint = "sigprocmask", SetLastError = true)]
        internal static partial int sigprocmask(int how, byte* set, byte* oldSet);
    }
}
