using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Neurons;

/// <summary>
/// A neuron step with a trace operand (<see cref="NeuronTrace"/>) writes â = λ·â_prev + s of its spikes — each element
/// checked against that float expression evaluated here from the spikes it returned, and bit for bit against the
/// separate <see cref="Ops.NextTrace"/> — while its spikes, state and gradients stay those of the plain step; a one-state
/// neuron does it in the step's own launch (host scalar tail, SIMD lanes and the portable kernel), ALIF in a second one.
/// N = 37 leaves most of each worker's share to the scalar tail, N = 2600 runs whole vectors.
/// </summary>
public sealed class NeuronTraceStepTests(TestDevice fixture)
{
    public static TheoryData<string, string, int, bool> Cases() => new()
    {
        { "lif", "sigmoid", 37, true }, { "lif", "sigmoid", 2600, true }, { "if", "triangle", 2600, true }, { "plif", "atan", 2600, true },
        { "lif", "rectangle", 53, true }, { "alif", "sigmoid", 37, true },
        { "lif", "sigmoid", 2600, false }, { "plif", "triangle", 37, false }, { "alif", "atan", 53, false },
    };

    private static NeuronSpec Spec(string name, string surrogate)
    {
        var function = Surrogate.Parse(surrogate);
        return name switch
        {
            "if" => NeuronSpec.If(0.8f, ResetMode.Hard, false, function),
            "plif" => NeuronSpec.Plif(0.6f, 0.8f, ResetMode.Soft, false, function),
            "alif" => NeuronSpec.Alif(0.6f, 0.8f, surrogate: function),
            _ => NeuronSpec.Lif(0.6f, 0.8f, ResetMode.Soft, true, function),
        };
    }

    private sealed record Outcome(float[][] Values, float[] Spikes, float[] Trace, float[] SeparateTrace, long FusedLaunches, long PlainLaunches);

    private static Outcome Run(Device device, NeuronSpec spec, int n, float decay)
    {
        using var scope = TensorScope.Begin();
        var current = Rand.Uniform(n, 91, -0.5f, 1.6f);
        var previousState = Rand.Uniform(n * spec.Model.StateVariables, 92, -0.3f, 0.7f);
        var previousTrace = Rand.Uniform(n, 93, 0f, 2.5f);
        var gs = Rand.Uniform(n, 94);
        int[] stateShape = spec.Model.StateVariables == 1 ? [n] : [spec.Model.StateVariables, n];
        float[][] Step(bool traced, out Tensor spikes, out Tensor? trace, out long launches)
        {
            var w = spec.Model.HasParameter ? Tensor.FromArray(device, [0.4f], 1).RequireGrad() : null;
            var c = Tensor.FromArray(device, current, n).RequireGrad();
            var previous = Tensor.FromArray(device, previousState, stateShape).RequireGrad();
            var before = Tensor.FromArray(device, previousTrace, n);
            trace = traced ? Tensor.Empty(device, n) : null;
            Tensor v;
            using var tape = new Tape();
            using (tape.Record())
            {
                long start = device.Activity.KernelLaunches;
                spikes = trace is null
                    ? Ops.NeuronStep(c, previous, spec, w, out v)
                    : Ops.NeuronStep(c, previous, spec, w, new NeuronTrace(before, trace, decay), out v);
                launches = device.Activity.KernelLaunches - start;
            }
            tape.Backward(spikes, Tensor.FromArray(device, gs, n));
            return [spikes.ToArray(), v.ToArray(), c.Grad!.ToArray(), previous.Grad?.ToArray() ?? [], w?.Grad!.ToArray() ?? []];
        }
        var fused = Step(true, out var fusedSpikes, out var trace, out long fusedLaunches);
        var plain = Step(false, out var plainSpikes, out _, out long plainLaunches);
        float[] separate;
        using (Tape.NoGrad())
        using (var next = Ops.NextTrace(plainSpikes, decay, Tensor.FromArray(device, previousTrace, n))) separate = next.ToArray();
        Assert.Equal(plain.Length, fused.Length);
        for (int k = 0; k < plain.Length; k++) Assert.Equal(plain[k], fused[k]);
        return new Outcome(fused, fusedSpikes.ToArray(), trace!.ToArray(), separate, fusedLaunches, plainLaunches);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_writes_the_trace_of_its_spikes_and_nothing_else_changes(string name, string surrogate, int neurons, bool hostKernels)
    {
        using var device = fixture.CreateFresh();
        device.Launch.UseHostKernels &= hostKernels;
        const float decay = 0.6f;
        var spec = Spec(name, surrogate);
        var outcome = Run(device, spec, neurons, decay);
        var previous = Rand.Uniform(neurons, 93, 0f, 2.5f);
        Assert.Contains(1f, outcome.Spikes);
        Assert.Contains(0f, outcome.Spikes);
        for (int i = 0; i < neurons; i++)
        {
            float expected = decay * previous[i] + outcome.Spikes[i];
            if (fixture.IsGpu) Assert.Equal(expected, outcome.Trace[i], 5e-6f);
            else Assert.True(expected.Equals(outcome.Trace[i]), $"trace[{i}]: expected {expected:R}, got {outcome.Trace[i]:R}");
            Assert.True(outcome.SeparateTrace[i].Equals(outcome.Trace[i]) || fixture.IsGpu,
                $"trace[{i}]: Ops.NextTrace gives {outcome.SeparateTrace[i]:R}, the traced step {outcome.Trace[i]:R}");
        }
        // A one-state neuron writes the trace in the step's launch; ALIF adds the separate one.
        Assert.Equal(outcome.PlainLaunches + (name == "alif" ? 1 : 0), outcome.FusedLaunches);
    }

    [Fact]
    public void A_trace_shaped_unlike_the_current_is_refused()
    {
        using var scope = TensorScope.Begin();
        var device = fixture.Device;
        var c = Tensor.Zeros(device, 4);
        var e = Assert.Throws<ArgumentException>(() =>
            Ops.NeuronStep(c, null, NeuronSpec.Lif(), null, new NeuronTrace(Tensor.Zeros(device, 5), Tensor.Empty(device, 4), 0.5f), out _));
        Assert.Contains("NeuronStep", e.Message);
    }
}
