namespace IlgpuSnn.Training;

/// <summary>What one epoch measured.</summary>
public sealed record EpochMetrics
{
    /// <summary>1-based epoch number.</summary>
    public int Epoch { get; init; }

    /// <summary>Mean training loss over the epoch's batches.</summary>
    public double TrainLoss { get; init; }

    /// <summary>Training accuracy (prediction = argmax Σ_t o[t]).</summary>
    public double TrainAccuracy { get; init; }

    /// <summary>Mean test loss.</summary>
    public double TestLoss { get; init; }

    /// <summary>Test accuracy.</summary>
    public double TestAccuracy { get; init; }

    /// <summary>Seconds spent training in this epoch (evaluation excluded).</summary>
    public double TrainSeconds { get; init; }

    /// <summary>Of <see cref="TrainSeconds"/>, the seconds training waited for data (batches not ready, uploads).</summary>
    public double DataSeconds { get; init; }

    /// <summary>Peak live pool bytes during the epoch's training iterations.</summary>
    public long PeakPoolBytes { get; init; }

    /// <summary>Forward multiply-accumulates per training iteration (mean).</summary>
    public double ForwardMacsPerIteration { get; init; }

    /// <summary>Backward multiply-accumulates per training iteration (mean).</summary>
    public double BackwardMacsPerIteration { get; init; }

    /// <summary>Learning rate at the end of the epoch.</summary>
    public double LearningRate { get; init; }

    /// <summary>Updates skipped because their gradients were not finite (with <see cref="TrainingOptions.SkipNonFinite"/>).</summary>
    public int SkippedUpdates { get; init; }

    /// <summary>
    /// Mean firing rate (spikes per neuron and step) of every spiking layer over the test set at the end of the epoch,
    /// in the order of <see cref="Layers.SpikingNetwork.NeuronLayerIndices"/>; empty in metrics written before it existed.
    /// </summary>
    public IReadOnlyList<double> FiringRates { get; init; } = [];
}
