using System.Diagnostics;

namespace MoleculeGuardian.Benchmarks.E2E;

/// <summary>p50 / p99 / worst of a sample (nearest rank); NaN when it is empty.</summary>
internal readonly record struct Summary(int Count, double P50, double P99, double Max)
{
    public static Summary Of(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        return new Summary(sorted.Count, Stats.Percentile(sorted, 50), Stats.Percentile(sorted, 99), sorted.Count == 0 ? double.NaN : sorted[^1]);
    }
}

internal static class Stats
{
    /// <summary>Nearest-rank percentile of an already sorted list.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static double Median(IEnumerable<double> values) => Summary.Of(values).P50;

    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}
