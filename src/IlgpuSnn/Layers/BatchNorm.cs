using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// Batch normalisation per channel of [N, C] or [N, C, H, W]: batch statistics with running averages in training,
/// running statistics in evaluation. With time folded into the batch the statistics cover all T·B samples, one step's
/// otherwise. Directly followed by a neuron layer it runs inside that layer's kernel where both run as they are
/// (<see cref="SpikingNetwork.FuseBatchNorm"/>): the same results without writing its output.
/// </summary>
public sealed class BatchNorm : Layer
{
    private readonly Tensor[] parameters;
    private readonly Tensor[] buffers;

    /// <summary>Creates the layer with γ = 1, β = 0, running mean 0 and running variance 1.</summary>
    /// <param name="device">The device holding parameters and buffers.</param>
    /// <param name="channels">Channels C.</param>
    /// <param name="momentum">Running-average momentum.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is not positive.</exception>
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

    /// <summary>
    /// Synchronised BatchNorm: in training, batch statistics over the global batch of all replicas, summed by this
    /// reducer (see <see cref="IBatchStatisticsReducer"/>); null (the default): this process's batch alone.
    /// </summary>
    public IBatchStatisticsReducer? StatisticsReducer { get; set; }

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
    public override Tensor Forward(Tensor x, Pass pass)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(pass);
        return Ops.BatchNorm(x, Gamma, Beta, RunningMean, RunningVariance, pass.Training, Momentum, Eps, StatisticsReducer);
    }
}
