// The description of a general layered spiking network for the float64 reference (NetworkReference): convolution with
// stride and padding, average / max pooling, flatten, linear, BatchNorm over channels ([C] or [C, H, W]), LIF / IF neurons
// and a linear read-out; a batch of B samples over T steps. Pure C#, no library types. Tensors are flat, row-major in
// the per-sample shape ([C, H, W] or [F]); weights of a convolution are [out, in, k, k], of a linear layer [out, in].
namespace IlgpuSnn.Tests.Reference;

/// <summary>One layer of a <see cref="NetworkCase"/>.</summary>
public abstract record NetLayer;

/// <summary>2-D convolution, square kernel, zero padding, optional bias.</summary>
public sealed record NetConv(int InChannels, int OutChannels, int Kernel, int Stride, int Padding, double[] Weight, double[]? Bias) : NetLayer;

/// <summary>Fully connected layer z = W·x + b.</summary>
public sealed record NetLinear(int In, int Out, double[] Weight, double[]? Bias) : NetLayer;

/// <summary>BatchNorm over the channels (PyTorch's BatchNorm1d/2d in training mode, momentum 0.1).</summary>
public sealed record NetBatchNorm(double[] Gamma, double[] Beta, double Eps) : NetLayer;

/// <summary>Average pooling (no padding).</summary>
public sealed record NetAvgPool(int Kernel, int Stride) : NetLayer;

/// <summary>Max pooling (no padding); the gradient goes to the first maximum of a window in row-major order.</summary>
public sealed record NetMaxPool(int Kernel, int Stride) : NetLayer;

/// <summary>[C, H, W] to [C·H·W].</summary>
public sealed record NetFlatten : NetLayer;

/// <summary>Mean over the spatial positions of each channel: [C, H, W] to [C].</summary>
public sealed record NetGlobalAvgPool : NetLayer;

/// <summary>
/// LIF neuron (spec §1.1): u[t] = λ·v[t−1] + I[t], s = H(u − Vth) (H(0) = 1), v = u − Vth·s (soft) or u·(1 − s) (hard);
/// λ = 1 is the IF neuron. <paramref name="Surrogate"/> names σ' (<see cref="ReferenceEstimators.Surrogate"/>).
/// </summary>
public sealed record NetNeuron(double Decay, double Threshold = 1.0, bool HardReset = false, bool DetachReset = false,
    string Surrogate = "sigmoid", double Alpha = 4.0) : NetLayer;

/// <summary>A batched case for <see cref="NetworkReference"/>.</summary>
public sealed class NetworkCase
{
    /// <summary>bptt, tt-lbptt, sltt, sltt-k, ottt-a, ottt-o, saf-e, saf-f or ratebp.</summary>
    public string Estimator { get; set; } = "bptt";

    /// <summary>Per-sample input shape.</summary>
    public int[] InputShape { get; set; } = [];

    /// <summary>Inputs [T][B][per-sample values].</summary>
    public double[][][] Inputs { get; set; } = [];

    /// <summary>Class label of each sample.</summary>
    public int[] Labels { get; set; } = [];

    /// <summary>The layers; the last one is the linear read-out.</summary>
    public NetLayer[] Layers { get; set; } = [];

    /// <summary>Target vector of each sample instead of one-hot labels (half-se and mse only).</summary>
    public double[][]? Targets { get; set; }

    /// <summary>ce, mse (against the target), ce+mse, or half-se (½‖o − y‖²); y is one-hot of the label unless <see cref="Targets"/>.</summary>
    public string LossKind { get; set; } = "ce";

    /// <summary>λ of ce+mse.</summary>
    public double MseWeight { get; set; } = 0.05;

    /// <summary>Loss on the mean output ō instead of (1/T)·Σ_t ℓ(o[t]).</summary>
    public bool MeanOutput { get; set; }

    /// <summary>
    /// BatchNorm over all steps a pass holds (T·B, a window's k·B; RateBP's official 'm' mode) instead of per step
    /// (RateBP's 's' mode).
    /// </summary>
    public bool Folded { get; set; }

    /// <summary>TT-LBPTT window k (null: the whole sequence).</summary>
    public int? Window { get; set; }

    /// <summary>TT-LBPTT blocks: 0-based spiking-layer indices of each block (null: one block).</summary>
    public int[][]? Blocks { get; set; }

    /// <summary>TT-LBPTT auxiliary head of each non-final block (layers applied to the block's output spikes).</summary>
    public NetLayer[][]? AuxHeads { get; set; }

    /// <summary>TT-LBPTT: one update per window instead of one per sequence.</summary>
    public bool PerWindowUpdate { get; set; }

    /// <summary>SLTT-K: the 1-based steps that get a graph.</summary>
    public int[]? KSet { get; set; }

    /// <summary>OTTT: the first synaptic layer takes its weight gradient from the accumulated input x̂.</summary>
    public bool AllTrace { get; set; }

    /// <summary>RateBP: the official code's 1/T gradient factor.</summary>
    public bool OfficialScale { get; set; }

    /// <summary>
    /// RateBP: the rate pass reads the last input frame instead of the time-mean x̄ (the official code's 's' mode does,
    /// spec §14.4; identical for a constant input).
    /// </summary>
    public bool RateInputLastFrame { get; set; }

    /// <summary>The target vector of sample <paramref name="b"/> over <paramref name="classes"/> outputs.</summary>
    public double[] Target(int b, int classes) => Targets?[b] ?? ReferenceLoss.OneHot(Labels[b], classes);

    /// <summary>Time steps T.</summary>
    public int Steps => Inputs.Length;

    /// <summary>Batch B.</summary>
    public int Batch => Inputs[0].Length;
}

/// <summary>What <see cref="NetworkReference"/> computes for a <see cref="NetworkCase"/>.</summary>
public sealed class NetworkResult
{
    /// <summary>The network's loss of the sequence.</summary>
    public double Loss { get; set; }

    /// <summary>
    /// Gradient of every parameter, in the library's order: layer by layer (convolution and linear: weight, then bias;
    /// BatchNorm: γ, then β), then the auxiliary heads' in the same way. Summed over the method's updates.
    /// </summary>
    public List<double[]> Gradients { get; set; } = [];

    /// <summary>Gradients of each update the method makes (one for methods that update once per sequence).</summary>
    public List<List<double[]>> Updates { get; set; } = [];

    /// <summary>Spikes [neuron layer][t][b][neuron].</summary>
    public double[][][][] Spikes { get; set; } = [];

    /// <summary>Running mean of each BatchNorm layer after the sequence, by layer index (null for other layers).</summary>
    public double[]?[] RunningMean { get; set; } = [];

    /// <summary>Running (unbiased) variance of each BatchNorm layer, by layer index.</summary>
    public double[]?[] RunningVariance { get; set; } = [];

    /// <summary>The smallest |u − Vth| met: how far the case is from a spike that float32 rounding could flip.</summary>
    public double Margin { get; set; } = double.MaxValue;
}
