using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Neurons;

/// <summary>
/// The CPU accelerator runs host-pointer forms of the one-state neuron kernels (sequence and step, forward and
/// backward); GPUs run the portable ones. The other neuron tests check the CPU's forms against plain loops; this one
/// checks that the portable kernels give exactly the same spikes, states and gradients.
/// </summary>
public sealed class HostNeuronKernelTests(TestDevice fixture)
{
    public static TheoryData<string, bool, bool> Cases() => new()
    {
        { "lif", false, false }, { "lif", true, false }, { "lif", false, true }, { "if", true, true }, { "plif", false, false },
    };

    private static NeuronSpec Spec(string name, bool hard, bool detach)
    {
        var reset = hard ? ResetMode.Hard : ResetMode.Soft;
        return name switch
        {
            "if" => NeuronSpec.If(0.8f, reset, detach),
            "plif" => NeuronSpec.Plif(0.6f, 0.8f, reset, detach),
            _ => NeuronSpec.Lif(0.6f, 0.8f, reset, detach),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Portable_neuron_kernels_give_the_host_kernels_results(string name, bool hard, bool detach)
    {
        if (!fixture.Device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        const int T = 5, N = 37;
        var spec = Spec(name, hard, detach);
        var current = Rand.Uniform(T * N, 81, -0.5f, 1.6f);
        var v0 = Rand.Uniform(N, 82, -0.3f, 0.7f);
        var gs = Rand.Uniform(T * N, 83);
        var gv = Rand.Uniform(N, 84);
        float[][] Run(Device device)
        {
            using var scope = TensorScope.Begin();
            bool learnable = name == "plif";
            var w = learnable ? Tensor.FromArray(device, [0.4f], 1).RequireGrad() : null;
            var c = Tensor.FromArray(device, current, T, N).RequireGrad();
            var state = Tensor.FromArray(device, v0, N);
            var step = Tensor.FromArray(device, current.AsSpan(0, N).ToArray(), N).RequireGrad();
            var previous = Tensor.FromArray(device, v0, N).RequireGrad();
            Tensor s, s1, v1, loss;
            using (var tape = new Tape())
            {
                using (tape.Record()) s = Ops.NeuronSequence(c, spec, w, state);
                tape.Backward(s, Tensor.FromArray(device, gs, T, N));
            }
            var sequenceParameterGrad = w?.Grad!.ToArray() ?? [];
            using (var tape = new Tape())
            {
                using (tape.Record())
                {
                    s1 = Ops.NeuronStep(step, previous, spec, w, out v1);
                    loss = Ops.Add(Ops.Multiply(s1, Tensor.FromArray(device, gs.AsSpan(0, N).ToArray(), N)), Ops.Multiply(v1, Tensor.FromArray(device, gv, N)));
                }
                tape.Backward(loss, Tensor.FromArray(device, Enumerable.Repeat(1f, N).ToArray(), N));
            }
            return [s.ToArray(), state.ToArray(), c.Grad!.ToArray(), sequenceParameterGrad, s1.ToArray(), v1.ToArray(), step.Grad!.ToArray(),
                previous.Grad!.ToArray(), w?.Grad!.ToArray() ?? []];
        }
        var host = Run(fixture.Device);
        var port = Run(portable);
        for (int i = 0; i < host.Length; i++) Assert.Equal(host[i], port[i]);
        Assert.Contains(1f, host[0]);
        Assert.Contains(0f, host[0]);
    }
}
