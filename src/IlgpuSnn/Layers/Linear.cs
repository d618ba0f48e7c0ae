using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>Fully connected layer y = x Wᵀ + b over [N, in].</summary>
public sealed class Linear : SynapticLayer
{
    private readonly Tensor[] parameters;

    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    /// <param name="device">The device holding the parameters.</param>
    /// <param name="rng">Source of the initial weights.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public Linear(Device device, Random rng, int inFeatures, int outFeatures, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentException($"Linear: invalid sizes in={inFeatures} out={outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = ParameterInit.Uniform(device, rng, inFeatures, "weight", outFeatures, inFeatures);
        Bias = bias ? ParameterInit.Uniform(device, rng, inFeatures, "bias", outFeatures) : null;
        parameters = Bias is null ? [Weight] : [Weight, Bias];
    }

    /// <summary>Creates the layer with given weights [out][in] and no bias (e.g. for gradient checks).</summary>
    /// <param name="device">The device holding the parameters.</param>
    /// <param name="weights">The weights, one row per output.</param>
    /// <exception cref="ArgumentException">The array is empty or not rectangular.</exception>
    public Linear(Device device, float[][] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        OutFeatures = weights.Length;
        InFeatures = OutFeatures == 0 ? 0 : weights[0].Length;
        if (OutFeatures == 0 || InFeatures == 0 || weights.Any(r => r.Length != InFeatures))
            throw new ArgumentException("Linear: weights must be a non-empty rectangular [out][in] array.");
        Weight = ParameterInit.Create(device, weights.SelectMany(r => r).ToArray(), "weight", OutFeatures, InFeatures);
        parameters = [Weight];
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Weights [out, in].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias [out], or null.</summary>
    public override Tensor? Bias { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> Parameters => parameters;

    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length != 1 || inputShape[0] != InFeatures)
            throw new ArgumentException($"Linear: expects per-sample input [{InFeatures}], got {Tensor.Format(inputShape)} (add Flatten before it).");
        return [OutFeatures];
    }

    /// <inheritdoc />
    protected override Tensor Apply(Tensor x) => Ops.Linear(x, Weight, Bias);
}
