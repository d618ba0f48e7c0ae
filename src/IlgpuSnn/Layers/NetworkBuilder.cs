using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>Fluent description of a spiking network; sizes of linear layers may be inferred from the input shape.</summary>
public sealed class NetworkBuilder
{
    private readonly Device device;
    private readonly Random rng;
    private readonly List<Func<int[], Layer>> factories = [];
    private ulong dropoutSalt = 0x9E3779B97F4A7C15UL;

    internal NetworkBuilder(Device device, int seed)
    {
        this.device = device ?? throw new ArgumentNullException(nameof(device));
        rng = new Random(seed);
    }

    /// <summary>The neuron used by <see cref="Lif(NeuronSpec?)"/> when none is given.</summary>
    public NeuronSpec DefaultNeuron { get; set; } = new();

    /// <summary>Appends a 2-D convolution (input channels inferred), optionally with scaled weight standardisation.</summary>
    /// <param name="outChannels">Number of output channels.</param>
    /// <param name="kernel">Side of the square kernel.</param>
    /// <param name="stride">Step between applications.</param>
    /// <param name="padding">Zero padding on each side.</param>
    /// <param name="bias">Whether the layer adds a learned bias per output channel.</param>
    /// <param name="weightStandardization">Whether the weights are standardised per output channel (with a learned gain).</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Conv2d(int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true, bool weightStandardization = false) =>
        Add(s => new Conv2d(device, rng, s[0], outChannels, kernel, stride, padding, bias, weightStandardization));

    /// <summary>Appends a fully connected layer (input features inferred), optionally with scaled weight standardisation.</summary>
    /// <param name="outFeatures">Number of output features.</param>
    /// <param name="bias">Whether the layer adds a learned bias.</param>
    /// <param name="weightStandardization">Whether the weights are standardised per output feature (with a learned gain).</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Linear(int outFeatures, bool bias = true, bool weightStandardization = false) =>
        Add(s => new Linear(device, rng, s[0], outFeatures, bias, weightStandardization));

    /// <summary>Appends a multiplication by a constant (e.g. <see cref="Layers.Scale.SpikeGain"/> after spikes of a weight-standardised network).</summary>
    /// <param name="factor">The constant multiplier.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Scale(float factor) => Add(_ => new Scale(factor));

    /// <summary>Appends a fully connected layer with given weights [out][in] and no bias.</summary>
    /// <param name="weights">The weights, one row of input weights per output feature.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Linear(float[][] weights) => Add(_ => new Linear(device, weights));

    /// <summary>Appends batch normalisation over the channels.</summary>
    /// <param name="momentum">Weight of the newest batch in the running statistics, in [0, 1].</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder BatchNorm(float momentum = 0.1f, float eps = 1e-5f) =>
        Add(s => new BatchNorm(device, s[0], momentum, eps));

    /// <summary>Appends global average pooling [C, H, W] → [C].</summary>
    /// <returns>This builder.</returns>
    public NetworkBuilder GlobalAvgPool() => Add(_ => new GlobalAvgPool());

    /// <summary>Appends average pooling.</summary>
    /// <param name="kernel">Side of the square pooling window.</param>
    /// <param name="stride">Step between windows; null = <paramref name="kernel"/>.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder AvgPool2d(int kernel, int? stride = null) => Add(_ => new AvgPool2d(kernel, stride ?? kernel));

    /// <summary>Appends max pooling.</summary>
    /// <param name="kernel">Side of the square pooling window.</param>
    /// <param name="stride">Step between windows; null = <paramref name="kernel"/>.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder MaxPool2d(int kernel, int? stride = null) => Add(_ => new MaxPool2d(kernel, stride ?? kernel));

    /// <summary>Appends a flatten.</summary>
    /// <returns>This builder.</returns>
    public NetworkBuilder Flatten() => Add(_ => new Flatten());

    /// <summary>Appends dropout with one mask per sequence.</summary>
    /// <param name="p">Probability that an element is dropped, in [0, 1).</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Dropout(float p)
    {
        var salt = dropoutSalt;
        dropoutSalt = dropoutSalt * 6364136223846793005UL + 1442695040888963407UL;
        return Add(_ => new Dropout(p, salt));
    }

    /// <summary>Appends a layer of LIF neurons (the builder's default neuron unless given).</summary>
    /// <param name="spec">The neuron; null = <see cref="DefaultNeuron"/>.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Lif(NeuronSpec? spec = null) => Neuron(spec ?? DefaultNeuron);

    /// <summary>Appends a layer of any neuron model (<see cref="NeuronSpec.Model"/>).</summary>
    /// <param name="spec">The neuron parameters.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Neuron(NeuronSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Add(_ => new NeuronLayer(device, spec));
    }

    /// <summary>
    /// Appends a recurrent spiking layer: current = input + W_rec·s[t−1] (W_rec [features, features]), neurons of
    /// <paramref name="spec"/> (the builder's default neuron unless given). Takes per-sample input [features].
    /// </summary>
    /// <param name="spec">The neuron parameters.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Recurrent(NeuronSpec? spec = null)
    {
        var s = spec ?? DefaultNeuron;
        return Add(shape => new NeuronLayer(device, s, rng, shape.Length == 1 ? shape[0] : throw new ArgumentException(
            $"NetworkBuilder.Recurrent: expects per-sample input [features], got {Tensor.Format(shape)} (add Flatten before it).")));
    }

    /// <summary>Appends a layer of PLIF neurons (learnable decay per layer, starting at <paramref name="initialDecay"/>).</summary>
    /// <param name="initialDecay">λ at initialisation, strictly between 0 and 1.</param>
    /// <param name="surrogate">The surrogate; null means sigmoid α = 4.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Plif(float initialDecay = 0.5f, Surrogate? surrogate = null) =>
        Neuron(NeuronSpec.Plif(initialDecay, surrogate: surrogate));

    /// <summary>Appends a layer of ALIF neurons (adaptive threshold θ0 + β·a, a[t] = ρ·a[t−1] + s[t−1]; see <see cref="AlifNeuron"/>).</summary>
    /// <param name="adaptationDecay">ρ in [0, 1].</param>
    /// <param name="adaptationStrength">β ≥ 0.</param>
    /// <param name="surrogate">The surrogate; null means sigmoid α = 4.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Alif(float adaptationDecay = AlifNeuron.DefaultAdaptationDecay,
        float adaptationStrength = AlifNeuron.DefaultAdaptationStrength, Surrogate? surrogate = null) =>
        Neuron(NeuronSpec.Alif(adaptationDecay: adaptationDecay, adaptationStrength: adaptationStrength, surrogate: surrogate));

    /// <summary>Appends any layer built from the current per-sample shape.</summary>
    /// <param name="factory">Builds the layer from the per-sample shape of its input.</param>
    /// <returns>This builder.</returns>
    public NetworkBuilder Add(Func<int[], Layer> factory)
    {
        factories.Add(factory ?? throw new ArgumentNullException(nameof(factory)));
        return this;
    }

    internal SpikingNetwork Create(int[] inputShape)
    {
        var layers = new List<Layer>();
        try
        {
            var shape = inputShape;
            foreach (var f in factories)
            {
                var layer = f(shape);
                layers.Add(layer);
                shape = layer.OutputShape(shape);
            }
            return new SpikingNetwork(device, inputShape, layers);
        }
        catch
        {
            foreach (var l in layers) l.Dispose();
            throw;
        }
    }
}
