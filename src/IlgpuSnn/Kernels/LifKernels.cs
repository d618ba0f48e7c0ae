using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using static IlgpuSnn.Kernels.NeuronFlags;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Forward kernels of the spiking neurons, generic over the neuron's dynamics (<see cref="INeuronDynamics"/>) and
/// the surrogate (<see cref="ISurrogateGradient"/>): ILGPU compiles one specialised kernel per pair of structs, so a
/// new neuron or surrogate runs fused on every backend. Each thread owns neurons (grid-stride over N) and runs the
/// time loop itself, so a whole T-step sequence is one launch. Tensors are time-major: element (t, i) is at t·N + i.
/// Views that a launch does not use are passed as placeholders and guarded by flags.
/// </summary>
internal static class LifKernels
{
    /// <summary>
    /// Runs T steps over N neurons: spikes [T, N]; optionally saves σ'[t] and u[t] for the backward; reads v[0]
    /// from <paramref name="state"/> and writes v[T] back when <paramref name="state"/> is given. With a
    /// <paramref name="normalization"/> the input is BatchNorm's x and the current its normalisation by the per-channel
    /// <paramref name="table"/> [4, C] (see <see cref="ChannelNormalization"/>).
    /// </summary>
    public static void Sequence<TNeuron, TSurrogate>(Device device, ArrayView<float> current, ArrayView<float> spikes,
        ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? state, ArrayView<float>? parameter, long n, int steps,
        TNeuron neuron, TSurrogate surrogateFunction, ArrayView<float>? table = null, ChannelNormalization normalization = default)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        if (n == 0 || steps == 0) return;
        if (normalization.Enabled != table.HasValue || (table.HasValue && table.Value.Length != (long)ChannelNormalization.Planes * normalization.Channels))
            throw new ArgumentException($"Neuron sequence: a channel normalisation needs its table of {ChannelNormalization.Planes}·C values and no table is read without one.");
        int flags = Forward(state.HasValue, surrogate.HasValue, potential.HasValue) | (parameter.HasValue ? HasParameter : 0);
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long, long, long, long, long, int, TNeuron, TSurrogate, int, long, ChannelNormalization>(HostLifKernels.SequenceKernel<TNeuron, TSurrogate>)(
                device.Launch.GridStride(n), HostMemory.Address(current), HostMemory.Address(spikes), Address(surrogate), Address(potential),
                Address(state), Address(parameter), n, steps, neuron, surrogateFunction, flags, Address(table), normalization);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, int, TNeuron, TSurrogate, int, ArrayView<float>, ChannelNormalization>(
            SequenceKernel<TNeuron, TSurrogate>)(
            device.Launch.GridStride(n), current, spikes, surrogate ?? spikes, potential ?? spikes, state ?? spikes, parameter ?? spikes, n, steps,
            neuron, surrogateFunction, flags, table ?? spikes, normalization);
    }

    /// <summary>
    /// One step: u = charge(v_prev, I) (v_prev = 0 when <paramref name="previousV"/> is null), spikes, new v;
    /// optionally saves σ' and u. A given <paramref name="parameter"/> (one element) is the layer's θ, bound on the device.
    /// A given <paramref name="trace"/> also gets the trace of the spikes in the same launch:
    /// trace = <paramref name="traceDecay"/>·<paramref name="previousTrace"/> + s (<see cref="NeuronElements.NextTrace"/>).
    /// </summary>
    public static void Step<TNeuron, TSurrogate>(Device device, ArrayView<float> current, ArrayView<float>? previousV,
        ArrayView<float> spikes, ArrayView<float> v, ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? parameter,
        TNeuron neuron, TSurrogate surrogateFunction, ArrayView<float>? previousTrace = null, ArrayView<float>? trace = null, float traceDecay = 0f)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        long n = current.Length;
        if (n == 0) return;
        if (trace.HasValue != previousTrace.HasValue || (trace.HasValue && (trace.Value.Length != n || previousTrace!.Value.Length != n)))
            throw new ArgumentException("Neuron step: a trace needs both its previous and its next view, each as long as the current.");
        int flags = Forward(previousV.HasValue, surrogate.HasValue, potential.HasValue) | (parameter.HasValue ? HasParameter : 0)
            | (trace.HasValue ? WriteTrace : 0);
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long, long, long, long, long, long, TNeuron, TSurrogate, int, long, long, float>(HostLifKernels.StepKernel<TNeuron, TSurrogate>)(
                device.Launch.GridStride(n), HostMemory.Address(current), Address(previousV), HostMemory.Address(spikes), HostMemory.Address(v),
                Address(surrogate), Address(potential), Address(parameter), n, neuron, surrogateFunction, flags, Address(previousTrace), Address(trace), traceDecay);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, TNeuron, TSurrogate, int, ArrayView<float>, ArrayView<float>, float>(
            StepKernel<TNeuron, TSurrogate>)(
            device.Launch.GridStride(n), current, previousV ?? current, spikes, v, surrogate ?? spikes, potential ?? spikes, parameter ?? spikes,
            neuron, surrogateFunction, flags, previousTrace ?? spikes, trace ?? spikes, traceDecay);
    }

    /// <summary>
    /// Advances the RateBP spike pass by <paramref name="steps"/> steps: spikes [steps, N], and per neuron the carried
    /// potential v, the eligibility recursion e (e = 1 at the start, e ← ∂u/∂I + e·∂u/∂v·dv/du, i.e. ∂u[t+1]/∂c under a
    /// constant input c) and the sums Σ s[t] and Σ σ'[t]·e[t]. Calling it once for T steps or T times for one step
    /// gives the same result.
    /// </summary>
    public static void RateStatistics<TNeuron, TSurrogate>(Device device, ArrayView<float> current, ArrayView<float> spikes,
        ArrayView<float> potential, ArrayView<float> recursion, ArrayView<float> spikeSum, ArrayView<float> eligibilitySum,
        long n, int steps, TNeuron neuron, TSurrogate surrogateFunction)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        if (n == 0) return;
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long, long, long, long, long, int, TNeuron, TSurrogate>(HostLifKernels.RateStatisticsKernel<TNeuron, TSurrogate>)(
                device.Launch.GridStride(n), HostMemory.Address(current), HostMemory.Address(spikes), HostMemory.Address(potential),
                HostMemory.Address(recursion), HostMemory.Address(spikeSum), HostMemory.Address(eligibilitySum), n, steps, neuron, surrogateFunction);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, int, TNeuron, TSurrogate>(
            RateStatisticsKernel<TNeuron, TSurrogate>)(
            device.Launch.GridStride(n), current, spikes, potential, recursion, spikeSum, eligibilitySum, n, steps, neuron, surrogateFunction);
    }

    /// <summary>
    /// One SAF step of a linear-leak, soft-reset neuron: u = c_in·a − λ·Vth·trace, s = H(u − Vth), trace ← λ·trace + s
    /// (in place); optionally writes the scaled accumulation c_out·trace (after the update) to <paramref name="output"/>
    /// and saves c_g·σ' (the scales of <paramref name="scales"/>; all 1 for the plain step). With
    /// <paramref name="freshTrace"/> the trace is taken as 0 (the first step) and its memory only written.
    /// </summary>
    public static void SafStep<TSurrogate>(Device device, ArrayView<float> accumulated, ArrayView<float> trace, ArrayView<float> spikes,
        ArrayView<float>? output, ArrayView<float>? surrogate, float decay, float threshold, SafScales scales, TSurrogate surrogateFunction,
        bool freshTrace = false)
        where TSurrogate : struct, ISurrogateGradient
    {
        long n = accumulated.Length;
        if (n == 0) return;
        int flags = (surrogate.HasValue ? SaveSurrogate : 0) | (output.HasValue ? WriteOutput : 0) | (freshTrace ? FreshTrace : 0);
        if (device.Launch.UseHostKernels)
        {
            device.Kernels.Load<long, long, long, long, long, long, float, float, SafScales, TSurrogate, int>(HostSafKernels.StepKernel<TSurrogate>)(
                device.Launch.GridStride(n), HostMemory.Address(accumulated), HostMemory.Address(trace), HostMemory.Address(spikes), Address(output),
                Address(surrogate), n, decay, threshold, scales, surrogateFunction, flags);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, SafScales, TSurrogate, int>(
            SafStepKernel<TSurrogate>)(
            device.Launch.GridStride(n), accumulated, trace, spikes, output ?? spikes, surrogate ?? spikes, decay, threshold, scales, surrogateFunction, flags);
    }

    /// <summary>The host address of an optional view (0 when absent), for the CPU accelerator's host-pointer kernels.</summary>
    internal static long Address(ArrayView<float>? view) => view.HasValue ? HostMemory.Address(view.Value) : 0L;

    [Kernel]
    internal static void SequenceKernel<TNeuron, TSurrogate>(ArrayView<float> current, ArrayView<float> spikes, ArrayView<float> surrogate,
        ArrayView<float> potential, ArrayView<float> state, ArrayView<float> parameter, long n, int steps, TNeuron dynamics, TSurrogate surrogateFunction, int flags,
        ArrayView<float> table, ChannelNormalization normalization)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        TNeuron neuron = Bound(dynamics, parameter, flags);
        foreach (long i in GridStride.Over(n))
        {
            float v = (flags & HasState) != 0 ? state[i] : 0f;
            for (int t = 0; t < steps; t++)
            {
                long k = t * n + i;
                var f = NeuronElements.Fire(neuron, v, normalization.Current(table, i, current[k]));
                spikes[k] = f.S;
                if ((flags & SaveSurrogate) != 0) surrogate[k] = surrogateFunction.Derivative(f.Z);
                if ((flags & SavePotential) != 0) potential[k] = f.U;
                v = f.V;
            }
            if ((flags & HasState) != 0) state[i] = v;
        }
    }

    [Kernel]
    internal static void StepKernel<TNeuron, TSurrogate>(ArrayView<float> current, ArrayView<float> previousV, ArrayView<float> spikes,
        ArrayView<float> v, ArrayView<float> surrogate, ArrayView<float> potential, ArrayView<float> parameter, TNeuron dynamics,
        TSurrogate surrogateFunction, int flags, ArrayView<float> previousTrace, ArrayView<float> trace, float traceDecay)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        TNeuron neuron = Bound(dynamics, parameter, flags);
        foreach (long i in GridStride.Over(current.Length))
        {
            var f = NeuronElements.Fire(neuron, (flags & HasState) != 0 ? previousV[i] : 0f, current[i]);
            spikes[i] = f.S;
            v[i] = f.V;
            if ((flags & SaveSurrogate) != 0) surrogate[i] = surrogateFunction.Derivative(f.Z);
            if ((flags & SavePotential) != 0) potential[i] = f.U;
            if ((flags & WriteTrace) != 0) trace[i] = NeuronElements.NextTrace(traceDecay, previousTrace[i], f.S);
        }
    }

    [Kernel]
    internal static void RateStatisticsKernel<TNeuron, TSurrogate>(ArrayView<float> current, ArrayView<float> spikes, ArrayView<float> potential,
        ArrayView<float> recursion, ArrayView<float> spikeSum, ArrayView<float> eligibilitySum, long n, int steps,
        TNeuron neuron, TSurrogate surrogateFunction)
        where TNeuron : struct, INeuronDynamics where TSurrogate : struct, ISurrogateGradient
    {
        foreach (long i in GridStride.Over(n))
        {
            float v = potential[i], e = recursion[i], sumS = spikeSum[i], sumE = eligibilitySum[i];
            for (int t = 0; t < steps; t++)
            {
                long k = t * n + i;
                spikes[k] = NeuronElements.RateStep(neuron, surrogateFunction, current[k], ref v, ref e, ref sumS, ref sumE);
            }
            potential[i] = v;
            recursion[i] = e;
            spikeSum[i] = sumS;
            eligibilitySum[i] = sumE;
        }
    }

    [Kernel]
    internal static void SafStepKernel<TSurrogate>(ArrayView<float> accumulated, ArrayView<float> trace, ArrayView<float> spikes,
        ArrayView<float> output, ArrayView<float> surrogate, float decay, float threshold, SafScales scales, TSurrogate surrogateFunction, int flags)
        where TSurrogate : struct, ISurrogateGradient
    {
        foreach (long i in GridStride.Over(accumulated.Length))
        {
            float tr = (flags & FreshTrace) != 0 ? 0f : trace[i];
            float z = NeuronElements.SafOvershoot(accumulated[i], tr, decay, threshold, scales.Input);
            float s = NeuronElements.Heaviside(z);
            spikes[i] = s;
            float next = decay * tr + s;
            trace[i] = next;
            if ((flags & WriteOutput) != 0) output[i] = scales.Output * next;
            if ((flags & SaveSurrogate) != 0) surrogate[i] = scales.Gradient * surrogateFunction.Derivative(z);
        }
    }
}

/// <summary>
/// The scales of a SAF step at the scale of one time step (<see cref="LifKernels.SafStep{TSurrogate}"/>): the input
/// current is multiplied by <see cref="Input"/>, the accumulation handed on by <see cref="Output"/>, and the saved σ' by
/// <see cref="Gradient"/> (the derivative of the output with respect to the input, per unit σ'). All 1 for the plain step.
/// </summary>
internal readonly struct SafScales
{
    /// <summary>The plain step: every scale 1.</summary>
    public static SafScales One => new(1f, 1f, 1f);

    /// <summary>The three scales.</summary>
    public SafScales(float input, float output, float gradient)
    {
        Input = input;
        Output = output;
        Gradient = gradient;
    }

    /// <summary>c_in: the factor of the input current.</summary>
    public readonly float Input;

    /// <summary>c_out: the factor of the accumulation written as output.</summary>
    public readonly float Output;

    /// <summary>c_g: the factor of the saved σ'.</summary>
    public readonly float Gradient;
}
