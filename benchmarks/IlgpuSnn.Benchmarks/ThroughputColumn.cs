using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace IlgpuSnn.Benchmarks;

/// <summary>
/// A summary column that divides the work one benchmark invocation does (from its parameters) by its mean time:
/// e.g. "TFLOP/s" with the FLOPs of a GEMM, or "G neuron-steps/s" with T·B·N of a LIF layer.
/// </summary>
/// <param name="name">Column header, including the unit.</param>
/// <param name="workPerInvocation">Work of one invocation of the given case (null: not applicable, e.g. a baseline).</param>
/// <param name="unit">Units of work per displayed unit (1e12 for TFLOP/s, 1e9 for G.../s).</param>
public sealed class ThroughputColumn(string name, Func<BenchmarkCase, double?> workPerInvocation, double unit) : IColumn
{
    /// <inheritdoc />
    public string Id => nameof(ThroughputColumn) + "." + name;

    /// <inheritdoc />
    public string ColumnName => name;

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => $"{name}: work of one invocation / mean time";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        double? work = workPerInvocation(benchmarkCase);
        if (meanNs is not > 0 || work is null) return "-";
        return (work.Value / (meanNs.Value * 1e-9) / unit).ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <summary>The integer parameter <paramref name="parameter"/> of a benchmark case.</summary>
    public static int Param(BenchmarkCase benchmarkCase, string parameter) =>
        Convert.ToInt32(benchmarkCase.Parameters[parameter], System.Globalization.CultureInfo.InvariantCulture);
}
