using System.Globalization;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Diagnostics of the event-driven linear products (<see cref="HostSpikeGemm.Profile"/>), for the sparsity benchmark:
/// per product and shape, the worker time spent, how many worker shares ran event-driven, and the density of the
/// sampled input (non-zero entries out of sampled entries).
/// </summary>
internal sealed class SpikeGemmProfile
{
    private readonly Dictionary<string, Entry> entries = [];

    /// <summary>What one product and shape accumulated over its worker shares.</summary>
    /// <param name="Calls">Worker shares reported.</param>
    /// <param name="EventDriven">Of those, the shares that ran the event-driven form.</param>
    /// <param name="Seconds">Worker seconds.</param>
    /// <param name="NonZero">Non-zero input entries in the density samples.</param>
    /// <param name="Sampled">Input entries in the density samples.</param>
    internal sealed record Entry(long Calls, long EventDriven, double Seconds, long NonZero, long Sampled);

    /// <summary>The entries so far, keyed "forward|weight gradient rows x outs x ins".</summary>
    public IReadOnlyDictionary<string, Entry> Entries
    {
        get { lock (entries) return new Dictionary<string, Entry>(entries); }
    }

    /// <summary>Adds one worker's share of one call.</summary>
    public void Add(string product, int rows, int outs, int ins, bool eventDriven, double seconds, long nonZero, long sampled)
    {
        string key = string.Create(CultureInfo.InvariantCulture, $"{product} {rows}x{outs}x{ins}");
        lock (entries)
        {
            var e = entries.GetValueOrDefault(key) ?? new Entry(0, 0, 0, 0, 0);
            entries[key] = new Entry(e.Calls + 1, e.EventDriven + (eventDriven ? 1 : 0), e.Seconds + seconds, e.NonZero + nonZero, e.Sampled + sampled);
        }
    }
}
