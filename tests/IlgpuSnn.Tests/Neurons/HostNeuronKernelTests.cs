using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Neurons;

/// <summary>
/// The CPU accelerator runs host-pointer forms of the one-state neuron kernels (sequence and step, forward and
/// backward), with SIMD bodies for the LIF family and the built-in surrogates; GPUs run the portable ones. The other
/// neuron tests check the CPU's forms against plain loops; this one checks that the portable kernels give the same
/// spikes, states and gradients: exactly, except where the sigmoid's σ' enters (the SIMD form's exponential is not
/// MathF.Exp, both within 1 ulp, see VectorMathTests), where gradients agree within 1e-6 of their largest magnitude.
/// N = 37 leaves most of each worker's share to the scalar tail; N = 2600 gives each of 2 or 4 workers whole
/// 512-neuron blocks, a partial block and a tail.
/// </summary>
public sealed class HostNeuronKernelTests(TestDevice fixture)
{
    public static TheoryData<string, bool, bool, string, int> Cases() => new()
    {
        { "lif", false, false, "sigmoid", 37 }, { "lif", true, false, "sigmoid", 37 }, { "lif", false, true, "sigmoid", 37 },
        { "if", true, true, "sigmoid", 37 }, { "plif", false, false, "sigmoid", 37 },
        { "lif", false, false, "sigmoid", 2600 }, { "lif", true, false, "triangle", 2600 }, { "plif", true, false, "rectangle", 2600 },
        { "plif", false, false, "atan", 2600 }, { "lif", false, true, "atan", 2600 }, { "if", true, true, "triangle", 2600 },
    };

    private static NeuronSpec Spec(string name, bool hard, bool detach, string surrogate)
    {
        var reset = hard ? ResetMode.Hard : ResetMode.Soft;
        var function = Surrogate.Parse(surrogate);
        return name switch
        {
            "if" => NeuronSpec.If(0.8f, reset, detach, function),
            "plif" => NeuronSpec.Plif(0.6f, 0.8f, reset, detach, function),
            _ => NeuronSpec.Lif(0.6f, 0.8f, reset, detach, function),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Portable_neuron_kernels_give_the_host_kernels_results(string name, bool hard, bool detach, string surrogate, int neurons)
    {
        if (!fixture.Device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        const int T = 5;
        var spec = Spec(name, hard, detach, surrogate);
        var current = Rand.Uniform(T * neurons, 81, -0.5f, 1.6f);
        var v0 = Rand.Uniform(neurons, 82, -0.3f, 0.7f);
        var gs = Rand.Uniform(T * neurons, 83);
        var gv = Rand.Uniform(neurons, 84);
        float[][] Run(Device device)
        {
            using var scope = TensorScope.Begin();
            bool learnable = name == "plif";
            var w = learnable ? Tensor.FromArray(device, [0.4f], 1).RequireGrad() : null;
            var c = Tensor.FromArray(device, current, T, neurons).RequireGrad();
            var state = Tensor.FromArray(device, v0, neurons);
            var step = Tensor.FromArray(device, current.AsSpan(0, neurons).ToArray(), neurons).RequireGrad();
            var previous = Tensor.FromArray(device, v0, neurons).RequireGrad();
            Tensor s, s1, v1, loss;
            using (var tape = new Tape())
            {
                using (tape.Record()) s = Ops.NeuronSequence(c, spec, w, state);
                tape.Backward(s, Tensor.FromArray(device, gs, T, neurons));
            }
            var sequenceParameterGrad = w?.Grad!.ToArray() ?? [];
            using (var tape = new Tape())
            {
                using (tape.Record())
                {
                    s1 = Ops.NeuronStep(step, previous, spec, w, out v1);
                    loss = Ops.Add(Ops.Multiply(s1, Tensor.FromArray(device, gs.AsSpan(0, neurons).ToArray(), neurons)), Ops.Multiply(v1, Tensor.FromArray(device, gv, neurons)));
                }
                tape.Backward(loss, Tensor.FromArray(device, Enumerable.Repeat(1f, neurons).ToArray(), neurons));
            }
            return [s.ToArray(), state.ToArray(), c.Grad!.ToArray(), sequenceParameterGrad, s1.ToArray(), v1.ToArray(), step.Grad!.ToArray(),
                previous.Grad!.ToArray(), w?.Grad!.ToArray() ?? []];
        }
        var host = Run(fixture.Device);
        var port = Run(portable);
        int[] forward = [0, 1, 4, 5]; // spikes and states of the sequence and the step
        foreach (int i in forward) Assert.Equal(port[i], host[i]);
        for (int i = 0; i < host.Length; i++)
        {
            if (forward.Contains(i)) continue;
            if (surrogate != "sigmoid")
            {
                Assert.Equal(port[i], host[i]);
                continue;
            }
            float bound = 1e-6f * port[i].Select(MathF.Abs).DefaultIfEmpty(0f).Max();
            for (int j = 0; j < port[i].Length; j++)
                Assert.True(MathF.Abs(host[i][j] - port[i][j]) <= bound, $"output {i}[{j}]: host {host[i][j]}, portable {port[i][j]}");
        }
        Assert.Contains(1f, host[0]);
        Assert.Contains(0f, host[0]);
    }
}
