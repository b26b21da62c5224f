using Microsoft.Extensions.Configuration;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog;

namespace MoleculeGuardian.Logging;

internal enum LogFormat
{
    /// <summary>Compact log event format (CLEF): one JSON object per line.</summary>
    Json,

    /// <summary>One readable line per event, for people at a terminal.</summary>
    Text,
}

/// <summary>The <c>Logging</c> section. Serilog is configured in code from it (its configuration reader is not AOT-safe).</summary>
internal sealed partial class LoggingOptions
{
    public const string SectionName = "Logging";

    public LogFormat Format { get; set; } = LogFormat.Json;

    public LogEventLevel MinimumLevel { get; set; } = LogEventLevel.Information;

    public static LoggingOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new LoggingOptions();
        try
        {
            configuration.GetSection(SectionName).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(SectionName, typeof(LoggingOptions), [ex.Message]);
        }

        return options;
    }

    /// <summary>
    /// A logger writing to <paramref name="output"/>. The process's own <see cref="Console.Out"/> and
    /// <see cref="Console.Error"/> (what Program passes) are written through .NET's unbuffered standard streams, each event
    /// with one write(2); any other writer (tests, tools) gets each event whole, with one Write and a Flush.
    /// </summary>
    public Logger CreateLogger(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ITextFormatter formatter = Format == LogFormat.Text ? new EscapingTextFormatter() : new EscapingJsonFormatter();
        ILogEventSink sink = ReferenceEquals(output, Console.Out) ? new StandardStreamSink(formatter, Console.OpenStandardOutput())
            : ReferenceEquals(output, Console.Error) ? new StandardStreamSink(formatter, Console.OpenStandardError())
            : new TextWriterSink(formatter, output);
        return new LoggerConfiguration()
            .MinimumLevel.Is(MinimumLevel)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Sink(sink)
            .CreateLogger();
    }
}
