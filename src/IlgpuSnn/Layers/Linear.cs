using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// Fully connected layer y = x Wᵀ + b over [N, in]; with weight standardisation y = x Ŵᵀ + b, Ŵ the scaled standardised
/// weight (<see cref="Ops.WeightStandardize"/>, the official OTTT networks' ScaledWSLinear) with a learnable gain.
/// </summary>
public sealed class Linear : SynapticLayer
{
    private readonly Tensor[] parameters;

    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    /// <param name="device">The device holding the parameters.</param>
    /// <param name="rng">Source of the initial weights.</param>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <param name="weightStandardization">Whether the weight is used through scaled weight standardisation (gain starts at 1).</param>
    /// <exception cref="ArgumentException">A size is not positive (or, with standardisation, there is only one input).</exception>
    public Linear(Device device, Random rng, int inFeatures, int outFeatures, bool bias = true, bool weightStandardization = false)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentException($"Linear: invalid sizes in={inFeatures} out={outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        if (weightStandardization && inFeatures < 2)
            throw new ArgumentException("Linear: weight standardisation needs at least 2 inputs per output.");
        Weight = ParameterInit.Uniform(device, rng, inFeatures, "weight", outFeatures, inFeatures);
        Bias = bias ? ParameterInit.Uniform(device, rng, inFeatures, "bias", outFeatures) : null;
        Gain = weightStandardization ? ParameterInit.Constant(device, 1f, "gain", outFeatures) : null;
        parameters = [Weight, .. new[] { Bias, Gain }.OfType<Tensor>()];
    }

    /// <summary>Creates the layer with given weights [out][in] and, when given, bias [out] (e.g. for gradient checks).</summary>
    /// <param name="device">The device holding the parameters.</param>
    /// <param name="weights">The weights, one row per output.</param>
    /// <param name="bias">The bias, one value per output, or null for none.</param>
    /// <param name="gain">With weight standardisation: its gain, one value per output; null for a plain layer.</param>
    /// <exception cref="ArgumentException">The array is empty or not rectangular, or the bias or gain has another length.</exception>
    public Linear(Device device, float[][] weights, float[]? bias = null, float[]? gain = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        OutFeatures = weights.Length;
        InFeatures = OutFeatures == 0 ? 0 : weights[0].Length;
        if (OutFeatures == 0 || InFeatures == 0 || weights.Any(r => r.Length != InFeatures))
            throw new ArgumentException("Linear: weights must be a non-empty rectangular [out][in] array.");
        if (bias is not null && bias.Length != OutFeatures)
            throw new ArgumentException($"Linear: bias has {bias.Length} values for {OutFeatures} outputs.");
        if (gain is not null && (gain.Length != OutFeatures || InFeatures < 2))
            throw new ArgumentException($"Linear: weight standardisation needs one gain per output ({OutFeatures}, got {gain.Length}) and at least 2 inputs.");
        Weight = ParameterInit.Create(device, weights.SelectMany(r => r).ToArray(), "weight", OutFeatures, InFeatures);
        Bias = bias is null ? null : ParameterInit.Create(device, bias, "bias", OutFeatures);
        Gain = gain is null ? null : ParameterInit.Create(device, gain, "gain", OutFeatures);
        parameters = [Weight, .. new[] { Bias, Gain }.OfType<Tensor>()];
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Weights [out, in].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias [out], or null.</summary>
    public override Tensor? Bias { get; }

    /// <summary>Gain [out] of the weight standardisation, or null when the layer uses its weight as it is.</summary>
    public Tensor? Gain { get; }

    /// <summary>Added to var·fan-in in the weight standardisation (the official networks' 1e-4).</summary>
    public const float StandardizationEps = 1e-4f;

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
    protected override Tensor Apply(Tensor x) => Multiply(x, Bias);

    /// <summary>x Ŵᵀ without the bias (Ŵ the weight the layer uses: standardised or as it is), with graph when a tape records.</summary>
    /// <param name="x">Input [N, in].</param>
    /// <returns>[N, out] (a new tensor).</returns>
    public Tensor ApplyWeight(Tensor x) => Multiply(x, null);

    /// <inheritdoc />
    internal override Tensor ForwardWithWeightGradientFrom(Tensor x, Tensor weightGradientInput)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weightGradientInput);
        return Multiply(x, Bias, weightGradientInput);
    }

    private Tensor Multiply(Tensor x, Tensor? bias, Tensor? weightGradientInput = null)
    {
        if (Gain is null) return Ops.Linear(x, Weight, bias, weightGradientInput);
        using var standardized = Ops.WeightStandardize(Weight, Gain, StandardizationEps);
        return Ops.Linear(x, standardized, bias, weightGradientInput);
    }
}
