using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// A conservative (over-)estimate of the device memory one training iteration needs, from the network's activation
/// sizes, so a run that cannot fit is refused before anything is allocated. Per sample, every layer's output is counted
/// <see cref="SavedCopiesPerActivation"/> times (outputs, membranes, surrogate slopes, gradients, pool rounding) for
/// each time step the estimator keeps: all T for BPTT, the window for TT-LBPTT, one for the online and rate methods.
/// RateBP with folded BatchNorm statistics (the official 'm' mode, its default) runs its spike pass layer by layer over
/// the folded T·B batch, so it also holds the largest layer's activations for all T steps, counted
/// <see cref="SavedCopiesPerActivation"/> times. The encoded input holds all T steps for every method; parameters count four times (weights, gradients, two
/// optimizer moments).
/// </summary>
public static class MemoryEstimate
{
    /// <summary>How many float copies of each activation the estimate assumes per kept time step.</summary>
    public const int SavedCopiesPerActivation = 6;

    /// <summary>Bytes a training iteration of <paramref name="network"/> may need with the given settings.</summary>
    /// <param name="network">The network to train.</param>
    /// <param name="estimator">The estimator name ("bptt", "tt-lbptt", ...); decides how many steps of activations are kept.</param>
    /// <param name="timeSteps">Time steps T per sequence; positive.</param>
    /// <param name="batchSize">Samples per batch; positive.</param>
    /// <param name="window">The tt-lbptt window in steps; null = T.</param>
    /// <param name="batchNormStats">The BatchNorm statistics asked for; null = the estimator's default (folded for ratebp).</param>
    /// <returns>An estimate in bytes of inputs, kept activations and parameters with their gradients and state.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeSteps"/> or <paramref name="batchSize"/> is not positive.</exception>
    public static long TrainingBytes(SpikingNetwork network, string estimator, int timeSteps, int batchSize, int? window = null, BatchNormStatistics? batchNormStats = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        long kept = estimator switch
        {
            "bptt" => timeSteps,
            "tt-lbptt" => Math.Min(window ?? timeSteps, timeSteps),
            _ => 1,
        };
        double activations = 0, largest = 0;
        var shape = network.InputShape;
        foreach (var layer in network.Layers)
        {
            shape = layer.OutputShape(shape);
            double size = shape.Aggregate(1.0, (a, d) => a * d);
            activations += size;
            largest = Math.Max(largest, size);
        }
        double foldedPass = estimator == "ratebp" && batchNormStats != BatchNormStatistics.PerStep ? timeSteps * largest * SavedCopiesPerActivation : 0;
        double input = network.InputShape.Aggregate(1.0, (a, d) => a * d);
        double parameters = network.Parameters.Sum(p => (double)p.Length);
        double floats = (double)batchSize * ((double)timeSteps * input * 2 + kept * activations * SavedCopiesPerActivation + foldedPass) + 4 * parameters;
        return (long)Math.Min(floats * sizeof(float), long.MaxValue / 2);
    }

    /// <summary>Memory available to <paramref name="device"/>: the GPU's memory, or for the CPU what the process may use.</summary>
    /// <param name="device">The device.</param>
    /// <returns>Available bytes.</returns>
    public static long AvailableBytes(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        long reported = device.Info.MemoryBytes;
        if (device.Kind != "cpu") return reported;
        long host = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return reported > 0 ? Math.Min(reported, host) : host;
    }

    /// <summary>Refuses a run whose estimate exceeds the device memory.</summary>
    /// <param name="device">The device the run would use.</param>
    /// <param name="network">The network to train.</param>
    /// <param name="estimator">The estimator name ("bptt", "tt-lbptt", ...).</param>
    /// <param name="timeSteps">Time steps T per sequence; positive.</param>
    /// <param name="batchSize">Samples per batch; positive.</param>
    /// <param name="window">The tt-lbptt window in steps; null = T.</param>
    /// <param name="batchNormStats">The BatchNorm statistics asked for; null = the estimator's default.</param>
    /// <exception cref="InsufficientMemoryException">"needs X, device has Y", with the settings to change.</exception>
    public static void Require(Device device, SpikingNetwork network, string estimator, int timeSteps, int batchSize, int? window = null, BatchNormStatistics? batchNormStats = null)
    {
        long need = TrainingBytes(network, estimator, timeSteps, batchSize, window, batchNormStats);
        long have = AvailableBytes(device);
        if (need > have)
            throw new InsufficientMemoryException(
                $"Training {estimator} with T = {timeSteps} and batch size {batchSize} needs about {Format(need)}, device {device.Info.Id} has {Format(have)}: lower --time-steps or --batch-size, or use an estimator whose memory does not grow with T (e.g. sltt, ottt-o, tt-lbptt --window).");
    }

    /// <summary>Bytes as a readable size ("1.5 GiB").</summary>
    /// <param name="bytes">A size in bytes.</param>
    /// <returns>The size in KiB, MiB or GiB with one decimal.</returns>
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1024.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " KiB",
    };
}
