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
/// N = 37 or 53 leaves most of each worker's share to the scalar tail; N = 2600 gives each of 2 or 4 workers whole
/// 512-neuron blocks, a partial block and a tail. The two-state ALIF kernels are checked the same way.
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
        AssertAgree(port, host, [0, 1, 4, 5], surrogate); // exact: spikes and states of the sequence and the step
        Assert.Contains(1f, host[0]);
        Assert.Contains(0f, host[0]);
    }

    [Theory]
    [InlineData(false, false, "sigmoid", 53)]
    [InlineData(true, true, "rectangle", 53)]
    [InlineData(false, false, "sigmoid", 2600)]
    [InlineData(true, false, "triangle", 2600)]
    [InlineData(false, true, "atan", 2600)]
    public void Portable_adaptive_neuron_kernels_give_the_host_kernels_results(bool hard, bool detach, string surrogate, int neurons)
    {
        if (!fixture.Device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        const int T = 4;
        var spec = NeuronSpec.Alif(0.7f, 0.8f, 0.9f, 0.5f, hard ? ResetMode.Hard : ResetMode.Soft, detach, Surrogate.Parse(surrogate));
        var current = Rand.Uniform(T * neurons, 121, -0.5f, 1.8f);
        float[] state0 = [.. Rand.Uniform(neurons, 122, -0.3f, 0.7f), .. Rand.Uniform(neurons, 123, 0f, 1f)];
        var gs = Rand.Uniform(T * neurons, 124);
        float[][] Run(Device device)
        {
            using var scope = TensorScope.Begin();
            var c = Tensor.FromArray(device, current, T, neurons).RequireGrad();
            var state = Tensor.FromArray(device, state0, 2, neurons);
            Tensor s;
            using (var tape = new Tape())
            {
                using (tape.Record()) s = Ops.NeuronSequence(c, spec, null, state);
                tape.Backward(s, Tensor.FromArray(device, gs, T, neurons));
            }
            var steps = Enumerable.Range(0, T).Select(t => Tensor.FromArray(device, current.AsSpan(t * neurons, neurons).ToArray(), neurons).RequireGrad()).ToArray();
            var start = Tensor.FromArray(device, state0, 2, neurons).RequireGrad();
            var outputs = new Tensor[T];
            Tensor? v = start;
            using (var tape = new Tape())
            {
                using (tape.Record())
                    for (int t = 0; t < T; t++) outputs[t] = Ops.NeuronStep(steps[t], v, spec, null, out v);
                tape.Backward(outputs, [.. Enumerable.Range(0, T).Select(t => Tensor.FromArray(device, gs.AsSpan(t * neurons, neurons).ToArray(), neurons))]);
            }
            return [s.ToArray(), state.ToArray(), c.Grad!.ToArray(), [.. outputs.SelectMany(o => o.ToArray())], v!.ToArray(),
                [.. steps.SelectMany(x => x.Grad!.ToArray())], start.Grad!.ToArray()];
        }
        var host = Run(fixture.Device);
        var port = Run(portable);
        AssertAgree(port, host, [0, 1, 3, 4], surrogate); // exact: spikes and states of the sequence and the steps
        Assert.Contains(1f, host[0]);
        Assert.Contains(0f, host[0]);
    }

    /// <summary>
    /// The outputs at <paramref name="exact"/> agree exactly; the gradients too, unless the sigmoid's σ' (its SIMD
    /// exponential) enters them, then within 1e-6 of their largest magnitude.
    /// </summary>
    private static void AssertAgree(float[][] portable, float[][] host, int[] exact, string surrogate)
    {
        for (int i = 0; i < host.Length; i++)
        {
            if (exact.Contains(i) || surrogate != "sigmoid")
            {
                Assert.Equal(portable[i], host[i]);
                continue;
            }
            float bound = 1e-6f * portable[i].Select(MathF.Abs).DefaultIfEmpty(0f).Max();
            for (int j = 0; j < portable[i].Length; j++)
                Assert.True(MathF.Abs(host[i][j] - portable[i][j]) <= bound, $"output {i}[{j}]: host {host[i][j]}, portable {portable[i][j]}");
        }
    }

    /// <summary>
    /// SAF's neuron step (u = c_in·a − λθ·trace, s = H(u − θ), trace ← λ·trace + s, output c_out·trace, c_g·σ'(u − θ)):
    /// spikes, traces and the scaled output exactly as a plain loop of the same float expression, on the host form and
    /// the portable form, for the plain step (all scales 1, no output) and a step at the scale of one step, and for a
    /// first step whose trace memory holds NaN and is not read; σ' of the two forms agree exactly, or within 1e-6 of the
    /// largest for the sigmoid (its SIMD exponential).
    /// </summary>
    [Theory]
    [InlineData("sigmoid", 53, 1f, false)]
    [InlineData("sigmoid", 2600, 1f, false)]
    [InlineData("sigmoid", 2600, 1.75f, false)]
    [InlineData("sigmoid", 2600, 1f, true)]
    [InlineData("atan", 2600, 1f, false)]
    [InlineData("triangle", 2600, 2.5f, false)]
    [InlineData("triangle", 53, 2.5f, true)]
    [InlineData("rectangle", 53, 1.75f, false)]
    public void Saf_step_host_and_portable_kernels_agree_with_a_loop(string surrogate, int neurons, float norm, bool fresh)
    {
        if (!fixture.Device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        const float decay = 0.7f, threshold = 0.9f;
        bool scaled = norm != 1f;
        var scales = scaled ? new Kernels.SafScales(norm, 1f / norm, 0.5f) : Kernels.SafScales.One;
        var accumulated = Rand.Uniform(neurons, 131, -0.5f, 2.5f);
        var trace0 = fresh ? Enumerable.Repeat(float.NaN, neurons).ToArray() : Rand.Uniform(neurons, 132, 0f, 2f);
        float[][] Run(Device device)
        {
            using var scope = TensorScope.Begin();
            var a = Tensor.FromArray(device, accumulated, neurons);
            var trace = Tensor.FromArray(device, trace0, neurons);
            var spikes = Tensor.Zeros(device, neurons);
            var output = Tensor.Full(device, -7f, neurons);
            var sigma = Tensor.Zeros(device, neurons);
            ILGPU.ArrayView<float>? o = scaled ? output.View : null;
            switch (surrogate)
            {
                case "sigmoid": Kernels.LifKernels.SafStep(device, a.View, trace.View, spikes.View, o, sigma.View, decay, threshold, scales, new SigmoidSurrogate(4f), fresh); break;
                case "atan": Kernels.LifKernels.SafStep(device, a.View, trace.View, spikes.View, o, sigma.View, decay, threshold, scales, new ATanSurrogate(2f), fresh); break;
                case "triangle": Kernels.LifKernels.SafStep(device, a.View, trace.View, spikes.View, o, sigma.View, decay, threshold, scales, new TriangleSurrogate(1f), fresh); break;
                default: Kernels.LifKernels.SafStep(device, a.View, trace.View, spikes.View, o, sigma.View, decay, threshold, scales, new RectangleSurrogate(1f), fresh); break;
            }
            return [spikes.ToArray(), trace.ToArray(), sigma.ToArray(), output.ToArray()];
        }
        var host = Run(fixture.Device);
        var port = Run(portable);
        var expectedSpikes = new float[neurons];
        var expectedTrace = new float[neurons];
        var expectedOutput = new float[neurons];
        for (int i = 0; i < neurons; i++)
        {
            float previous = fresh ? 0f : trace0[i];
            float u = (scales.Input * accumulated[i]) - decay * threshold * previous;
            expectedSpikes[i] = u - threshold >= 0f ? 1f : 0f;
            expectedTrace[i] = decay * previous + expectedSpikes[i];
            expectedOutput[i] = scaled ? scales.Output * expectedTrace[i] : -7f;
        }
        Assert.Equal(expectedSpikes, host[0]);
        Assert.Equal(expectedTrace, host[1]);
        Assert.Equal(expectedOutput, host[3]);
        AssertAgree(port, host, [0, 1, 3], surrogate);
        Assert.Contains(1f, host[0]);
        Assert.Contains(0f, host[0]);
    }

    /// <summary>
    /// RateBP's statistics pass (T LIF steps from a carried potential and recursion, Σ s and Σ σ'·e): spikes, potentials
    /// and spike sums exactly as a plain loop of the scalar neuron's float expressions, host and portable forms alike; the
    /// recursion and Σ σ'·e exactly between the forms, or within 1e-6 of the largest for the sigmoid.
    /// </summary>
    [Theory]
    [InlineData("sigmoid", false, false, 53)]
    [InlineData("sigmoid", true, false, 2600)]
    [InlineData("atan", false, true, 2600)]
    [InlineData("triangle", true, true, 2600)]
    public void Rate_statistics_host_and_portable_kernels_agree_with_a_loop(string surrogate, bool hard, bool detach, int neurons)
    {
        if (!fixture.Device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        const int T = 3;
        var neuron = new LifNeuron(0.7f, 0.9f, hard, detach);
        var current = Rand.Uniform(T * neurons, 141, -0.5f, 1.8f);
        var v0 = Rand.Uniform(neurons, 142, -0.3f, 0.8f);
        var e0 = Rand.Uniform(neurons, 143, 0f, 2f);
        var sumS0 = Rand.Uniform(neurons, 144, 0f, 3f);
        var sumE0 = Rand.Uniform(neurons, 145, 0f, 3f);
        float[][] Run(Device device)
        {
            using var scope = TensorScope.Begin();
            var c = Tensor.FromArray(device, current, T * neurons);
            var spikes = Tensor.Zeros(device, T * neurons);
            var v = Tensor.FromArray(device, v0, neurons);
            var e = Tensor.FromArray(device, e0, neurons);
            var sumS = Tensor.FromArray(device, sumS0, neurons);
            var sumE = Tensor.FromArray(device, sumE0, neurons);
            switch (surrogate)
            {
                case "sigmoid": Kernels.LifKernels.RateStatistics(device, c.View, spikes.View, v.View, e.View, sumS.View, sumE.View, neurons, T, neuron, new SigmoidSurrogate(4f)); break;
                case "atan": Kernels.LifKernels.RateStatistics(device, c.View, spikes.View, v.View, e.View, sumS.View, sumE.View, neurons, T, neuron, new ATanSurrogate(2f)); break;
                default: Kernels.LifKernels.RateStatistics(device, c.View, spikes.View, v.View, e.View, sumS.View, sumE.View, neurons, T, neuron, new TriangleSurrogate(1f)); break;
            }
            return [spikes.ToArray(), v.ToArray(), sumS.ToArray(), e.ToArray(), sumE.ToArray()];
        }
        var host = Run(fixture.Device);
        var port = Run(portable);
        var expectedSpikes = new float[T * neurons];
        var expectedV = (float[])v0.Clone();
        var expectedSumS = (float[])sumS0.Clone();
        for (int i = 0; i < neurons; i++)
            for (int t = 0; t < T; t++)
            {
                float u = neuron.Charge(expectedV[i], current[t * neurons + i]);
                float spike = neuron.Overshoot(u) >= 0f ? 1f : 0f;
                expectedSpikes[t * neurons + i] = spike;
                expectedSumS[i] += spike;
                expectedV[i] = neuron.Reset(u, spike);
            }
        Assert.Equal(expectedSpikes, host[0]);
        Assert.Equal(expectedV, host[1]);
        Assert.Equal(expectedSumS, host[2]);
        AssertAgree(port, host, [0, 1, 2], surrogate);
        Assert.Contains(1f, host[0]);
        Assert.Contains(0f, host[0]);
    }
}
