using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

namespace MoleculeGuardian.Logging;

public enum LogFormat
{
    /// <summary>Compact log event format (CLEF): one JSON object per line.</summary>
    Json,

    /// <summary>One readable line per event, for people at a terminal.</summary>
    Text,
}

/// <summary>The <c>Logging</c> section. Serilog is configured in code from it (its configuration reader is not AOT-safe).</summary>
public sealed class LoggingOptions
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

    public Logger CreateLogger(TextWriter output)
    {
        ITextFormatter formatter = Format == LogFormat.Text
            ? new MessageTemplateTextFormatter("{Timestamp:yyyy-MM-ddTHH:mm:ss.fffZ} {Level:u3} {Message:lj}{NewLine}{Exception}", formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            : new CompactJsonFormatter();
        return new LoggerConfiguration()
            .MinimumLevel.Is(MinimumLevel)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Sink(new TextWriterSink(formatter, output))
            .CreateLogger();
    }

    /// <summary>Writes each event whole and flushes it: a line is in the pipe before the next event starts.</summary>
    private sealed class TextWriterSink(ITextFormatter formatter, TextWriter output) : ILogEventSink
    {
        private readonly Lock _gate = new();

        public void Emit(LogEvent logEvent)
        {
            using var buffer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            formatter.Format(logEvent, buffer);
            lock (_gate)
            {
                output.Write(buffer.ToString());
                output.Flush();
            }
        }
    }
}
