using IlgpuSnn.Data.Events;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data.SpikeTrains;

/// <summary>
/// Bins spike trains into time steps with the frame rules of event data (<see cref="FrameSplit"/>, as SpikingJelly
/// integrates SHD): <see cref="FrameSplit.Count"/> gives every step ⌊N/T⌋ spikes (the last step the rest),
/// <see cref="FrameSplit.Time"/> cuts [t_0, t_last] into T equal steps, <see cref="FrameSplit.Duration"/> gives every
/// step <see cref="FrameOptions.DurationUs"/> µs from t_0 and drops later spikes. Each bin holds the number of spikes
/// of each channel; <see cref="FrameOptions.OutputWidth"/>, when set, merges channel c into ⌊c·width/channels⌋.
/// </summary>
public static class SpikeBinning
{
    /// <summary>The bins of one sample, [T, width] in C order.</summary>
    /// <param name="sample">The spike train (channels, spike times and units).</param>
    /// <param name="options">How spikes become steps (number of bins T, split by count or duration).</param>
    /// <returns>Spike counts [T, width] in C order, width = the channels (or the output width when set).</returns>
    /// <exception cref="ArgumentException">The options do not fit the channels.</exception>
    public static float[] Bin(SpikeTrain sample, FrameOptions options)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(options);
        var (width, _) = options.Resolve(sample.Channels, 1);
        var bins = new float[checked(options.Frames * width)];
        BinInto(sample, options, width, bins);
        return bins;
    }

    /// <summary>
    /// Every sample binned: an <see cref="ImageDataset"/> whose sample i is [T, 1, width] (channels = T), presented as
    /// [T, B, 1, 1, width] by a <see cref="FrameEncoder"/> of T frames.
    /// </summary>
    /// <param name="samples">The samples, all with the same number of channels.</param>
    /// <param name="classes">Number of classes; every label must be below it.</param>
    /// <param name="options">How spikes become steps.</param>
    /// <param name="name">A name for messages.</param>
    /// <returns>The binned samples with their labels.</returns>
    /// <exception cref="ArgumentException">Channels differ between samples, a label is out of range, or the options do not fit.</exception>
    public static ImageDataset ToDataset(IReadOnlyList<SpikeTrain> samples, int classes, FrameOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(options);
        int channels = samples.Count > 0 ? samples[0].Channels : 1;
        var (width, _) = options.Resolve(channels, 1);
        long per = (long)options.Frames * width;
        var pixels = new float[checked(per * samples.Count)];
        var labels = new int[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            if (samples[i].Channels != channels)
                throw new ArgumentException($"SpikeBinning '{name}': sample {i} has {samples[i].Channels} channels, sample 0 has {channels}.");
            BinInto(samples[i], options, width, pixels.AsSpan(checked((int)(per * i)), (int)per));
            labels[i] = samples[i].Label;
        }
        return new ImageDataset(pixels, labels, options.Frames, 1, width, classes, name);
    }

    /// <summary>Samples [first, first + count) binned as one time-first tensor [T, count, width] on <paramref name="device"/>.</summary>
    /// <param name="device">The device the tensor is created on.</param>
    /// <param name="samples">The samples, all with the same number of channels.</param>
    /// <param name="first">Index of the first sample.</param>
    /// <param name="count">Number of samples (the batch size).</param>
    /// <param name="options">How spikes become steps.</param>
    /// <returns>A new tensor [T, count, width] that the caller owns.</returns>
    public static Tensor ToTensor(Device device, IReadOnlyList<SpikeTrain> samples, int first, int count, FrameOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (first + count > samples.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"SpikeBinning.ToTensor: samples [{first}, {first + count}) of {samples.Count}.");
        var (width, _) = options.Resolve(samples[first].Channels, 1);
        int steps = options.Frames;
        var host = new float[checked(steps * count * width)];
        for (int b = 0; b < count; b++)
        {
            var bins = Bin(samples[first + b], options);
            for (int t = 0; t < steps; t++)
                Array.Copy(bins, t * width, host, ((long)t * count + b) * width, width);
        }
        return Tensor.FromArray(device, host, steps, count, width);
    }

    private static void BinInto(SpikeTrain sample, FrameOptions options, int width, Span<float> bins)
    {
        int n = sample.Count, steps = options.Frames;
        if (n == 0) return;
        var times = sample.Times;
        long t0 = times[0];
        for (int j = 0; j < steps; j++)
        {
            bool last = j == steps - 1;
            int a, b;
            if (options.Split == FrameSplit.Count)
            {
                int per = n / steps;
                a = per * j;
                b = last ? n : a + per;
            }
            else
            {
                long step = options.Split == FrameSplit.Time ? (times[n - 1] - t0) / steps : options.DurationUs;
                a = LowerBound(times, t0 + step * j);
                b = last && options.Split == FrameSplit.Time ? n : LowerBound(times, t0 + step * (j + 1));
            }
            var row = bins.Slice(j * width, width);
            for (int i = a; i < b; i++) row[(int)((long)sample.Units[i] * width / sample.Channels)] += 1f;
        }
    }

    private static int LowerBound(long[] times, long t)
    {
        int lo = 0, hi = times.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (times[mid] < t) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
