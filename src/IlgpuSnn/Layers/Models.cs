using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>Ready-made spiking networks for image, event-frame and spike-train classification.</summary>
public static class Models
{
    /// <summary>The official OTTT VGG-11's convolution channels between average poolings (configuration A).</summary>
    private static readonly int[][] OtttVggStages = [[64, 128], [256, 256], [512, 512], [512, 512]];

    /// <summary>The model names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mlp", "conv", "vgg", "vgg11-ws", "rsnn"];

    /// <summary>
    /// Creates a model: "mlp" = Flatten → Linear(hidden) → BatchNorm → LIF → Linear(classes);
    /// "conv" = two blocks of Conv3x3 → BatchNorm → LIF → AvgPool2, then Linear(classes);
    /// "vgg" = VGG-style blocks Conv3x3 → BatchNorm → LIF → AvgPool2 with 64, 128, 256, 256, … channels until the side
    /// is at most 8 (2 blocks for 32×32 or 34×34 frames, 3 for 48×48, 4 for 128×128), then Linear(classes);
    /// "vgg11-ws" = the official OTTT VGG-11-WS (configuration A: 64, 128, M, 256, 256, M, 512, 512, M, 512, 512 with
    /// M = AvgPool2), each conv a weight-standardised Conv3x3 with bias and gain followed by LIF and Scale(2.74), no
    /// BatchNorm; then global average pooling (its light classifier with fc_hw = 1) and Linear(512 → classes).
    /// "rsnn" = Flatten → Linear(256) → BatchNorm → recurrent LIF layer (W_rec·s[t−1] added to its current) →
    /// Linear(classes), for spike trains such as SHD's 700 channels (train it with bptt, tt-lbptt or sltt).
    /// </summary>
    /// <param name="name">"mlp", "conv", "vgg", "vgg11-ws" or "rsnn".</param>
    /// <param name="device">The device the parameters live on.</param>
    /// <param name="inputShape">Per-sample input shape, e.g. [1, 28, 28] or [2, 34, 34].</param>
    /// <param name="classes">Number of output classes.</param>
    /// <param name="neuron">The spiking neuron of every spiking layer.</param>
    /// <param name="seed">Seed of the weight initialisation.</param>
    /// <returns>The new network with freshly initialised weights on <paramref name="device"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a known model.</exception>
    public static SpikingNetwork Create(string name, Device device, int[] inputShape, int classes, NeuronSpec neuron, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name switch
        {
            "mlp" => SpikingNetwork.Build(device, inputShape, b => b
                .Flatten().Linear(256, bias: false).BatchNorm().Lif(neuron)
                .Linear(classes), seed),
            "conv" => SpikingNetwork.Build(device, inputShape, b => b
                .Conv2d(32, 3, padding: 1, bias: false).BatchNorm().Lif(neuron).AvgPool2d(2)
                .Conv2d(64, 3, padding: 1, bias: false).BatchNorm().Lif(neuron).AvgPool2d(2)
                .Flatten().Linear(classes), seed),
            "vgg" => SpikingNetwork.Build(device, inputShape, b =>
            {
                int side = Math.Max(inputShape[^1], inputShape[^2]);
                for (int block = 0; side > 8; block++, side /= 2)
                    b.Conv2d(Math.Min(64 << block, 256), 3, padding: 1, bias: false).BatchNorm().Lif(neuron).AvgPool2d(2);
                b.Flatten().Linear(classes);
            }, seed),
            "vgg11-ws" => SpikingNetwork.Build(device, inputShape, b =>
            {
                foreach (var stage in OtttVggStages)
                {
                    if (stage[0] != 64) b.AvgPool2d(2);
                    foreach (int channels in stage)
                        b.Conv2d(channels, 3, padding: 1, weightStandardization: true).Lif(neuron).Scale(Scale.SpikeGain);
                }
                b.GlobalAvgPool().Linear(classes);
            }, seed),
            "rsnn" => SpikingNetwork.Build(device, inputShape, b => b
                .Flatten().Linear(256, bias: false).BatchNorm().Recurrent(neuron)
                .Linear(classes), seed),
            _ => throw new ArgumentException($"Unknown model '{name}'. Valid: {string.Join(", ", Names)}."),
        };
    }
}
