namespace IlgpuSnn.Data.SpikeTrains;

/// <summary>
/// One labelled sample of a spike-train dataset (SHD, SSC): spike i came from input channel <see cref="Units"/>[i] at
/// <see cref="Times"/>[i] microseconds after the start of the recording. Spikes are in time order.
/// </summary>
public sealed class SpikeTrain
{
    /// <summary>Wraps the arrays (no copy) after checking that they agree, lie in [0, <paramref name="channels"/>) and are time-ordered.</summary>
    /// <param name="times">Spike times in µs, non-negative and non-decreasing.</param>
    /// <param name="units">The channel of each spike.</param>
    /// <param name="channels">Number of input channels (700 for SHD and SSC).</param>
    /// <param name="label">The class index.</param>
    /// <exception cref="ArgumentException">Lengths differ, a channel is out of range, a time is negative or goes back.</exception>
    public SpikeTrain(long[] times, int[] units, int channels, int label)
    {
        ArgumentNullException.ThrowIfNull(times);
        ArgumentNullException.ThrowIfNull(units);
        if (channels <= 0) throw new ArgumentException($"SpikeTrain: channels must be positive, got {channels}.", nameof(channels));
        if (times.Length != units.Length)
            throw new ArgumentException($"SpikeTrain: {times.Length} times and {units.Length} units disagree.");
        for (int i = 0; i < times.Length; i++)
        {
            if ((uint)units[i] >= (uint)channels)
                throw new ArgumentException($"SpikeTrain: spike {i} comes from channel {units[i]}, outside [0, {channels}).");
            if (times[i] < 0 || (i > 0 && times[i] < times[i - 1]))
                throw new ArgumentException($"SpikeTrain: spike {i} at {times[i]} µs is negative or before its predecessor.");
        }
        Times = times;
        Units = units;
        Channels = channels;
        Label = label;
    }

#pragma warning disable CA1819 // exposes its storage on purpose
    /// <summary>Spike times in µs, non-decreasing.</summary>
    public long[] Times { get; }

    /// <summary>The input channel of each spike.</summary>
    public int[] Units { get; }
#pragma warning restore CA1819

    /// <summary>Number of input channels.</summary>
    public int Channels { get; }

    /// <summary>The class index.</summary>
    public int Label { get; }

    /// <summary>Number of spikes.</summary>
    public int Count => Times.Length;
}
