using IlgpuSnn.Data;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Tests.Reliability;

/// <summary>Small data, networks and encoders shared by the reliability tests.</summary>
internal static class TrainingFixtures
{
    /// <summary>Ten learnable classes of 8x8 images (class c lights its own 2x2 block).</summary>
    public static ImageDataset Synthetic(int count, int seed)
    {
        var rng = new Random(seed);
        var images = new float[count * 64];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = rng.Next(10);
            labels[i] = c;
            for (int p = 0; p < 64; p++) images[i * 64 + p] = (float)(rng.NextDouble() * 0.3);
            int r0 = c / 4 * 2 + 1, c0 = c % 4 * 2;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) images[i * 64 + (r0 + dy) * 8 + c0 + dx] = 1f;
        }
        return new ImageDataset(images, labels, 1, 8, 8, 10);
    }

    /// <summary>An MLP without BatchNorm, so that every tensor it holds is a parameter.</summary>
    public static SpikingNetwork PlainMlp(Device device, int seed = 4) =>
        SpikingNetwork.Build(device, [1, 8, 8], b => b.Flatten().Linear(16).Lif(new NeuronSpec(Decay: 0.5f)).Linear(10), seed);

    /// <summary>The shape of the CLI's MLP, smaller: Linear → BatchNorm → LIF → Linear.</summary>
    public static SpikingNetwork BatchNormMlp(Device device) =>
        SpikingNetwork.Build(device, [1, 8, 8], b => b.Flatten().Linear(32, bias: false).BatchNorm().Lif(new NeuronSpec(Decay: 0.5f)).Linear(10), 4);

    /// <summary>Values of every tensor of <paramref name="network"/>, in order.</summary>
    public static float[] Weights(SpikingNetwork network) => network.NamedTensors().SelectMany(t => t.Value.ToArray()).ToArray();
}

/// <summary>Direct encoding that writes a NaN into the encoded input of the calls <paramref name="poisoned"/> selects (0-based).</summary>
internal sealed class PoisoningEncoder(Func<int, bool> poisoned) : IEncoder
{
    private readonly DirectEncoder inner = new();
    private int calls;

    public Tensor Encode(Tensor images, int timeSteps, ulong seed)
    {
        var x = inner.Encode(images, timeSteps, seed);
        if (poisoned(calls++))
        {
            var host = x.ToArray();
            host[host.Length / 2] = float.NaN;
            x.CopyFrom(host);
        }
        return x;
    }
}
