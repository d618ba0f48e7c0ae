namespace IlgpuSnn.Training;

/// <summary>Settings of a training run.</summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Time steps T per sample.</summary>
    public int TimeSteps { get; init; } = 4;

    /// <summary>Seed of shuffling, encoding, dropout and estimator draws.</summary>
    public int Seed { get; init; }

    /// <summary>Folder for metrics.json, metrics.csv and the checkpoint; null writes nothing.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Warm-up iterations of the cosine schedule.</summary>
    public long WarmupSteps { get; init; }

    /// <summary>
    /// Continue from the checkpoint in <see cref="OutputDirectory"/>; it must exist and have been written with the same
    /// settings (see <see cref="ForceResume"/>).
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>The loss ℓ of a read-out against the labels (cross-entropy by default; MSE uses one-hot targets).</summary>
    public Criterion Criterion { get; init; } = Criterion.CrossEntropy;

    /// <summary>λ of <see cref="Criterion.CrossEntropyWithSquaredError"/>.</summary>
    public float MseWeight { get; init; } = 0.05f;

    /// <summary>Resume even if the checkpoint was written with other settings (the differences are ignored).</summary>
    public bool ForceResume { get; init; }

    /// <summary>Start again and replace an existing checkpoint in <see cref="OutputDirectory"/> (otherwise an error).</summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// Batches between reads of the device-side metrics (loss, correct count, non-finite flags): the only host
    /// synchronisations of training besides the end of an epoch. Progress is still reported for every batch (when the
    /// interval is read), with the same numbers, and a non-finite value still names its exact batch.
    /// </summary>
    public int LogInterval { get; init; } = 10;

    /// <summary>
    /// Skip an update whose gradients hold NaN or ∞ instead of stopping (costs one device synchronisation per update);
    /// non-finite weights still stop the run.
    /// </summary>
    public bool SkipNonFinite { get; init; }

    /// <summary>
    /// Further settings a resumed run must share with its checkpoint besides those the trainer knows (e.g. model,
    /// dataset, neuron), recorded in the checkpoint.
    /// </summary>
    public IReadOnlyDictionary<string, string> RunSettings { get; init; } = new Dictionary<string, string>();
}
