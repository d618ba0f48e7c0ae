using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// Batch normalisation per channel of [N, C] or [N, C, H, W]: batch statistics with running averages in training,
/// running statistics in evaluation. In sequence mode the statistics cover all T·B samples; in step modes each step.
/// For RateBP it records the spike pass's statistics and normalises the rate pass with them. In SAF steps it
/// normalises the accumulation at per-step scale (see <see cref="Pass.AtStepScale"/>).
/// </summary>
public sealed class BatchNorm : Layer
{
    private readonly Tensor[] parameters;
    private readonly Tensor[] buffers;
    private Tensor? recordedMean;
    private Tensor? recordedVariance;
    private int recordedSteps;

    /// <summary>Creates the layer with γ = 1, β = 0, running mean 0 and running variance 1.</summary>
    public BatchNorm(Device device, int channels, float momentum = 0.1f, float eps = 1e-5f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        Channels = channels;
        Momentum = momentum;
        Eps = eps;
        Gamma = ParameterInit.Constant(device, 1f, "weight", channels);
        Beta = ParameterInit.Constant(device, 0f, "bias", channels);
        RunningMean = ParameterInit.Buffer(device, 0f, "running_mean", channels);
        RunningVariance = ParameterInit.Buffer(device, 1f, "running_var", channels);
        parameters = [Gamma, Beta];
        buffers = [RunningMean, RunningVariance];
    }

    /// <summary>Channels C.</summary>
    public int Channels { get; }

    /// <summary>Running-average momentum.</summary>
    public float Momentum { get; }

    /// <summary>Added to the variance.</summary>
    public float Eps { get; }

    /// <summary>Scale γ.</summary>
    public Tensor Gamma { get; }

    /// <summary>Shift β.</summary>
    public Tensor Beta { get; }

    /// <summary>Running mean.</summary>
    public Tensor RunningMean { get; }

    /// <summary>Running (unbiased) variance.</summary>
    public Tensor RunningVariance { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> Parameters => parameters;

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> Buffers => buffers;

    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length is not (1 or 3) || inputShape[0] != Channels)
            throw new ArgumentException($"BatchNorm: expects per-sample input [{Channels}] or [{Channels}, H, W], got {Tensor.Format(inputShape)}.");
        return inputShape;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x, Tensor? trace, Pass pass, out Tensor? traceOut)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(pass);
        traceOut = null;
        if (pass.Mode == PassMode.Rate && pass.Training)
        {
            if (recordedMean is null || recordedVariance is null)
                throw new InvalidOperationException("BatchNorm: the rate pass needs the statistics of a spike pass first.");
            using var mean = Ops.Scale(recordedMean, 1f / recordedSteps);
            using var variance = Ops.Scale(recordedVariance, 1f / recordedSteps);
            return Ops.BatchNormWithStatistics(x, Gamma, Beta, mean, variance, Eps);
        }
        if (pass.RecordRateStatistics && pass.Training) Record(x);
        return pass.AtStepScale(x, v => Ops.BatchNorm(v, Gamma, Beta, RunningMean, RunningVariance, pass.Training, Momentum, Eps));
    }

    /// <inheritdoc />
    public override void ResetState(int batchSize) => ClearRecorded();

    /// <inheritdoc />
    public override void Dispose()
    {
        ClearRecorded();
        base.Dispose();
    }

    /// <summary>
    /// Adds this pass's per-channel statistics to the record: a sequence pass contributes its statistics over all T·B
    /// samples, a step pass one step's; the rate pass uses their mean.
    /// </summary>
    private void Record(Tensor x)
    {
        Ops.ChannelStatistics(x, out var mean, out var variance);
        if (recordedMean is null || recordedVariance is null)
        {
            recordedMean = TensorScope.Escape(mean);
            recordedVariance = TensorScope.Escape(variance);
        }
        else
        {
            Kernels.Elementwise.AddInPlace(x.Device, recordedMean.View, mean.View);
            Kernels.Elementwise.AddInPlace(x.Device, recordedVariance.View, variance.View);
            mean.Dispose();
            variance.Dispose();
        }
        recordedSteps++;
    }

    private void ClearRecorded()
    {
        recordedMean?.Dispose();
        recordedVariance?.Dispose();
        recordedMean = recordedVariance = null;
        recordedSteps = 0;
    }
}
