using System.Globalization;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Diagnostics of the CPU GEMM (<see cref="HostGemm.Profile"/>), for the sparsity and iteration benchmarks: per form and
/// GEMM shape, the worker time spent and how many rows of the packed op(B) strips held a non-zero (the rows the sparse
/// path visits).
/// </summary>
internal sealed class GemmProfile
{
    private readonly Dictionary<string, Entry> entries = [];

    /// <summary>What one shape accumulated: worker calls, worker seconds, non-zero strip rows out of all strip rows.</summary>
    internal sealed record Entry(long Calls, double Seconds, long NonZeroRows, long Rows);

    /// <summary>
    /// The entries so far, keyed "form MxNxK" with ":a"/":b"/":ab" for stored-transposed operands; the form is the path
    /// <see cref="HostGemm.Compute"/> took (packed, dot, conv-forward, conv-weight-gradient, conv-input-gradient).
    /// </summary>
    public IReadOnlyDictionary<string, Entry> Entries
    {
        get { lock (entries) return new Dictionary<string, Entry>(entries); }
    }

    /// <summary>Adds one worker's share of one GEMM.</summary>
    public void Add(string form, int m, int n, int k, bool transA, bool transB, double seconds, long nonZeroRows, long rows)
    {
        string key = string.Create(CultureInfo.InvariantCulture, $"{form} {m}x{n}x{k}") + (transA || transB ? ":" + (transA ? "a" : "") + (transB ? "b" : "") : "");
        lock (entries)
        {
            var e = entries.GetValueOrDefault(key) ?? new Entry(0, 0, 0, 0);
            entries[key] = new Entry(e.Calls + 1, e.Seconds + seconds, e.NonZeroRows + nonZeroRows, e.Rows + rows);
        }
    }
}
