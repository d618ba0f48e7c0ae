using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// 2-D convolution over [N, C, H, W] (square kernel, stride, zero padding, optional bias); optionally through scaled
/// weight standardisation (<see cref="Ops.WeightStandardize"/>, the official OTTT networks' ScaledWSConv2d) with a
/// learnable gain per output channel.
/// </summary>
public sealed class Conv2d : SynapticLayer
{
    private readonly Tensor[] parameters;

    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    /// <param name="device">The device holding the parameters.</param>
    /// <param name="rng">Source of the initial weights.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernel">Kernel size (square).</param>
    /// <param name="stride">Stride.</param>
    /// <param name="padding">Zero padding on each side.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <param name="weightStandardization">Whether the weight is used through scaled weight standardisation (gain starts at 1).</param>
    /// <exception cref="ArgumentException">A size is not positive or the padding is negative (or, with standardisation, the fan-in is 1).</exception>
    public Conv2d(Device device, Random rng, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true,
        bool weightStandardization = false)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0)
            throw new ArgumentException($"Conv2d: invalid configuration in={inChannels} out={outChannels} kernel={kernel} stride={stride} padding={padding}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        int fanIn = inChannels * kernel * kernel;
        if (weightStandardization && fanIn < 2)
            throw new ArgumentException("Conv2d: weight standardisation needs a fan-in (in·k·k) of at least 2.");
        Weight = ParameterInit.Uniform(device, rng, fanIn, "weight", outChannels, inChannels, kernel, kernel);
        Bias = bias ? ParameterInit.Uniform(device, rng, fanIn, "bias", outChannels) : null;
        Gain = weightStandardization ? ParameterInit.Constant(device, 1f, "gain", outChannels) : null;
        parameters = [Weight, .. new[] { Bias, Gain }.OfType<Tensor>()];
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel size (square).</summary>
    public int Kernel { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }

    /// <summary>Weights [out, in, k, k].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias [out], or null.</summary>
    public override Tensor? Bias { get; }

    /// <summary>Gain [out] of the weight standardisation, or null when the layer uses its weight as it is.</summary>
    public Tensor? Gain { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> Parameters => parameters;

    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length != 3 || inputShape[0] != InChannels)
            throw new ArgumentException($"Conv2d: expects per-sample input [{InChannels}, H, W], got {Tensor.Format(inputShape)}.");
        int h = (inputShape[1] + 2 * Padding - Kernel) / Stride + 1;
        int w = (inputShape[2] + 2 * Padding - Kernel) / Stride + 1;
        if (h <= 0 || w <= 0) throw new ArgumentException($"Conv2d: input {Tensor.Format(inputShape)} is smaller than the kernel {Kernel}.");
        return [OutChannels, h, w];
    }

    /// <inheritdoc />
    protected override Tensor Apply(Tensor x) => Convolve(x, null);

    /// <inheritdoc />
    internal override Tensor ForwardWithWeightGradientFrom(Tensor x, Tensor weightGradientInput)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weightGradientInput);
        return Convolve(x, weightGradientInput);
    }

    private Tensor Convolve(Tensor x, Tensor? weightGradientInput)
    {
        if (Gain is null) return Ops.Conv2d(x, Weight, Bias, Stride, Padding, weightGradientInput);
        using var standardized = Ops.WeightStandardize(Weight, Gain, Linear.StandardizationEps);
        return Ops.Conv2d(x, standardized, Bias, Stride, Padding, weightGradientInput);
    }
}
