using System.Globalization;
using Google.Protobuf;

namespace MoleculeGuardian.Tests.Support;

/// <summary>
/// Decodes an OTLP <c>ExportMetricsServiceRequest</c> with protobuf's own wire reader, independently of the exporter
/// that wrote it. Field numbers are those of opentelemetry-proto (collector/metrics/v1, metrics/v1, resource/v1,
/// common/v1); only what the tests look at is kept, every other field is skipped.
/// </summary>
internal static class OtlpMetricsDecoder
{
    public sealed record Export(IReadOnlyDictionary<string, string> Resource, IReadOnlyList<Metric> Metrics)
    {
        public Metric? Find(string name) => Metrics.FirstOrDefault(m => m.Name == name);
    }

    /// <summary>Kind: gauge, sum, histogram, exponential_histogram or summary.</summary>
    public sealed record Metric(string Name, string Unit, string Kind, bool Monotonic, IReadOnlyList<Point> Points);

    /// <summary>A number data point (Value) or a histogram data point (Count, Sum, Bounds, Buckets).</summary>
    public sealed record Point(IReadOnlyDictionary<string, string> Attributes, double? Value, ulong Count, double Sum,
        IReadOnlyList<double> Bounds, IReadOnlyList<ulong> Buckets);

    public static Export Decode(byte[] body)
    {
        var resource = new Dictionary<string, string>(StringComparer.Ordinal);
        var metrics = new List<Metric>();
        foreach (var (field, resourceMetrics) in Messages(ByteString.CopyFrom(body)))
        {
            if (field != 1)
            {
                continue; // ExportMetricsServiceRequest.resource_metrics = 1
            }

            foreach (var (f, value) in Messages(resourceMetrics))
            {
                if (f == 1)
                {
                    // ResourceMetrics.resource = 1; Resource.attributes = 1
                    foreach (var attribute in Messages(value).Where(a => a.Field == 1).Select(a => a.Value))
                    {
                        var (key, text) = KeyValue(attribute);
                        resource[key] = text;
                    }
                }
                else if (f == 2)
                {
                    // ResourceMetrics.scope_metrics = 2; ScopeMetrics.metrics = 2
                    metrics.AddRange(Messages(value).Where(m => m.Field == 2).Select(m => ReadMetric(m.Value)));
                }
            }
        }

        return new Export(resource, metrics);
    }

    private static Metric ReadMetric(ByteString bytes)
    {
        string name = "", unit = "", kind = "";
        var monotonic = false;
        var points = new List<Point>();
        var input = bytes.CreateCodedInput();
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            switch (field)
            {
                case 1: name = input.ReadString(); break;
                case 3: unit = input.ReadString(); break;
                case 5 or 7 or 9 or 10 or 11:
                    // gauge = 5, sum = 7, histogram = 9, exponential_histogram = 10, summary = 11; data_points = 1 in each
                    kind = field switch { 5 => "gauge", 7 => "sum", 9 => "histogram", 10 => "exponential_histogram", _ => "summary" };
                    foreach (var (f, value) in Fields(input.ReadBytes()))
                    {
                        if (f == 1 && value is ByteString point)
                        {
                            points.Add(field == 9 ? HistogramPoint(point) : NumberPoint(point));
                        }
                        else if (f == 3 && field == 7)
                        {
                            monotonic = (ulong)value != 0; // Sum.is_monotonic = 3
                        }
                    }

                    break;
                default: input.SkipLastField(); break;
            }
        }

        return new Metric(name, unit, kind, monotonic, points);
    }

    /// <summary>NumberDataPoint: as_double = 4 (double), as_int = 6 (sfixed64), attributes = 7.</summary>
    private static Point NumberPoint(ByteString bytes)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        double? value = null;
        var input = bytes.CreateCodedInput();
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 4: value = input.ReadDouble(); break;
                case 6: value = input.ReadSFixed64(); break;
                case 7: Add(attributes, input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }

        return new Point(attributes, value, 0, 0, [], []);
    }

    /// <summary>HistogramDataPoint: count = 4 (fixed64), sum = 5 (double), bucket_counts = 6 (packed fixed64), explicit_bounds = 7 (packed double), attributes = 9.</summary>
    private static Point HistogramPoint(ByteString bytes)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        ulong count = 0;
        double sum = 0;
        var buckets = new List<ulong>();
        var bounds = new List<double>();
        var input = bytes.CreateCodedInput();
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            var packed = WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
            switch (field)
            {
                case 4: count = input.ReadFixed64(); break;
                case 5: sum = input.ReadDouble(); break;
                case 6 when packed: buckets.AddRange(Packed(input.ReadBytes(), i => i.ReadFixed64())); break;
                case 6: buckets.Add(input.ReadFixed64()); break;
                case 7 when packed: bounds.AddRange(Packed(input.ReadBytes(), i => i.ReadDouble())); break;
                case 7: bounds.Add(input.ReadDouble()); break;
                case 9: Add(attributes, input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }

        return new Point(attributes, null, count, sum, bounds, buckets);
    }

    private static void Add(Dictionary<string, string> attributes, ByteString keyValue)
    {
        var (key, value) = KeyValue(keyValue);
        attributes[key] = value;
    }

    /// <summary>KeyValue: key = 1, value = 2 (AnyValue: string = 1, bool = 2, int = 3, double = 4).</summary>
    private static (string Key, string Value) KeyValue(ByteString bytes)
    {
        var key = "";
        var value = "";
        foreach (var (field, content) in Fields(bytes))
        {
            if (field == 1)
            {
                key = ((ByteString)content).ToStringUtf8();
            }
            else if (field == 2)
            {
                var any = ((ByteString)content).CreateCodedInput();
                for (uint tag; (tag = any.ReadTag()) != 0;)
                {
                    value = WireFormat.GetTagFieldNumber(tag) switch
                    {
                        1 => any.ReadString(),
                        2 => any.ReadBool() ? "true" : "false",
                        3 => any.ReadInt64().ToString(CultureInfo.InvariantCulture),
                        4 => any.ReadDouble().ToString(CultureInfo.InvariantCulture),
                        _ => Skip(any),
                    };
                }
            }
        }

        return (key, value);
    }

    private static string Skip(CodedInputStream input)
    {
        input.SkipLastField();
        return "(unsupported AnyValue)";
    }

    private static IEnumerable<(int Field, ByteString Value)> Messages(ByteString bytes) =>
        Fields(bytes).Where(f => f.Value is ByteString).Select(f => (f.Field, (ByteString)f.Value));

    /// <summary>Every field of a message: varints and fixed-width values as ulong, length-delimited ones as bytes.</summary>
    private static List<(int Field, object Value)> Fields(ByteString bytes)
    {
        var fields = new List<(int, object)>();
        var input = bytes.CreateCodedInput();
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            switch (WireFormat.GetTagWireType(tag))
            {
                case WireFormat.WireType.Varint: fields.Add((field, input.ReadUInt64())); break;
                case WireFormat.WireType.Fixed64: fields.Add((field, input.ReadFixed64())); break;
                case WireFormat.WireType.Fixed32: fields.Add((field, (ulong)input.ReadFixed32())); break;
                case WireFormat.WireType.LengthDelimited: fields.Add((field, input.ReadBytes())); break;
                default: input.SkipLastField(); break;
            }
        }

        return fields;
    }

    private static List<T> Packed<T>(ByteString bytes, Func<CodedInputStream, T> read)
    {
        var values = new List<T>();
        var input = bytes.CreateCodedInput();
        while (!input.IsAtEnd)
        {
            values.Add(read(input));
        }

        return values;
    }
}
