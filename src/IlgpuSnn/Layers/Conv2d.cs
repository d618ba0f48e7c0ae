using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>2-D convolution over [N, C, H, W] (square kernel, stride, zero padding, optional bias).</summary>
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
    /// <exception cref="ArgumentException">A size is not positive or the padding is negative.</exception>
    public Conv2d(Device device, Random rng, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true)
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
        Weight = ParameterInit.Uniform(device, rng, fanIn, "weight", outChannels, inChannels, kernel, kernel);
        Bias = bias ? ParameterInit.Uniform(device, rng, fanIn, "bias", outChannels) : null;
        parameters = Bias is null ? [Weight] : [Weight, Bias];
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
    protected override Tensor Apply(Tensor x) => Ops.Conv2d(x, Weight, Bias, Stride, Padding);
}
