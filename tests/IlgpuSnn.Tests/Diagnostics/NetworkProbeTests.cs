using IlgpuSnn.Diagnostics;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Diagnostics;

public sealed class NetworkProbeTests(TestDevice fixture)
{
    [Fact]
    public void Records_the_spikes_and_post_reset_membranes_of_a_plain_LIF_loop()
    {
        const int steps = 6, inputs = 2, neurons = 3;
        const double decay = 0.5, threshold = 1.0;
        var spec = new NeuronSpec(Decay: (float)decay, Threshold: (float)threshold, Reset: ResetMode.Soft);
        using var net = SpikingNetwork.Build(fixture.Device, [1, 1, inputs], b => b.Flatten().Linear(neurons, bias: false).Lif(spec).Linear(2));
        float[] w = [0.9f, -0.4f, 0.3f, 0.8f, 1.3f, 0.35f]; // [neurons, inputs]
        net.Parameters[0].CopyFrom(w);
        var x = Rand.Uniform(steps * inputs, 9, 0f, 1.2f);
        using var scope = TensorScope.Begin();
        var traces = NetworkProbe.Record(net, Tensor.FromArray(fixture.Device, x, steps, 1, 1, 1, inputs));

        var trace = Assert.Single(traces);
        Assert.Equal(2, trace.LayerIndex);
        var v = new double[neurons];
        for (int t = 0; t < steps; t++)
            for (int n = 0; n < neurons; n++)
            {
                double u = decay * v[n] + w[n * inputs] * x[t * inputs] + w[n * inputs + 1] * x[t * inputs + 1];
                double s = u >= threshold ? 1 : 0;
                v[n] = u - threshold * s;
                Assert.Equal(s, trace.Spikes[t][n]);
                Assert.Equal(v[n], trace.Membrane[t][n], 1e-5);
            }
        Assert.Contains(trace.Spikes, step => step.Contains(1f));
    }
}
