using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Runs a LIF / IF neuron over a time-first input current [T, ...] in one fused kernel and returns the spikes
    /// [T, ...]; the same as <see cref="NeuronSequence"/> (any <see cref="NeuronModel"/> without a learnable parameter).
    /// </summary>
    /// <param name="current">Input current, time axis first: [T, ...].</param>
    /// <param name="spec">Neuron parameters.</param>
    /// <param name="state">Optional post-reset potential carried over from a previous call (see <see cref="NeuronSequence"/>).</param>
    /// <returns>The spikes [T, ...].</returns>
    /// <exception cref="ArgumentException">Rank 0 current, or a state whose shape does not match.</exception>
    public static Tensor LifSequence(Tensor current, NeuronSpec spec, Tensor? state = null) =>
        RunNeuronSequence("LifSequence", current, spec, null, state);

    /// <summary>
    /// Runs the neuron of <paramref name="spec"/> over a time-first input current [T, ...] in one fused kernel (compiled
    /// for its <see cref="INeuronDynamics"/> and <see cref="ISurrogateGradient"/> structs) and returns the spikes
    /// [T, ...]: u[t] = charge(v[t−1], I[t]), s[t] = H(u[t] − Vth), v[t] = reset(u[t], s[t]).
    /// When the tape records, the backward (BPTT through all T steps, one fused kernel) keeps only σ'[t] plus what the
    /// neuron's <see cref="INeuronDynamics.BackwardNeeds"/> asks for (spikes, or u and the starting state).
    /// Differentiable with respect to <paramref name="current"/> and <paramref name="parameter"/> (its gradient is
    /// reduced over neurons and time on the device).
    /// </summary>
    /// <param name="current">Input current, time axis first: [T, ...].</param>
    /// <param name="spec">Neuron parameters.</param>
    /// <param name="parameter">The layer's learnable θ, shape [1], when the model has one (PLIF's w); else null.</param>
    /// <param name="state">
    /// Optional post-reset potential carried over from a previous call, shaped like <paramref name="current"/>
    /// without its time axis: read as v[0] (zeros when null) and overwritten in place with v[T]. No gradient flows
    /// through it. A two-state neuron (<see cref="NeuronModel.StateVariables"/> = 2, ALIF) carries [2, ...that shape]:
    /// v, then its auxiliary state.
    /// </param>
    /// <returns>The spikes [T, ...].</returns>
    /// <exception cref="ArgumentException">Rank 0 current, a state whose shape does not match, or a parameter the model does not expect.</exception>
    public static Tensor NeuronSequence(Tensor current, NeuronSpec spec, Tensor? parameter = null, Tensor? state = null) =>
        RunNeuronSequence("NeuronSequence", current, spec, parameter, state);

    private static Tensor RunNeuronSequence(string name, Tensor current, NeuronSpec spec, Tensor? parameter, Tensor? state)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(spec);
        var device = Check.SameDevice(name, current, state, parameter);
        var (steps, n) = NeuronTimeAxis(name, current);
        if (state is not null) NeuronRequireStepShape(name, current, state, spec);
        NeuronRequireParameter(name, spec, parameter);
        var kernels = NeuronKernelSetFactory.For(spec);
        var entry = Tape.Begin(name, current, parameter);
        bool record = entry is not null;
        bool needU = kernels.BackwardNeeds == NeuronBackwardNeeds.Potential;
        var shape = current.ShapeArray();
        var spikes = Tensor.Empty(device, shape);
        using var surrogate = record ? Tensor.Empty(device, shape) : null;
        using var potential = record && needU ? Tensor.Empty(device, NeuronStateShape(spec, shape)) : null;
        using var initial = record && needU && state is not null ? Tensor.Empty(device, state.ShapeArray()) : null;
        if (initial is not null) Elementwise.Copy(device, state!.View, initial.View);
        kernels.Sequence(device, current.View, spikes.View, surrogate?.View, potential?.View, state?.View, parameter?.View, n, steps);
        if (entry is null) return spikes;

        var savedSg = entry.Keep(surrogate!);
        var savedS = kernels.BackwardNeeds == NeuronBackwardNeeds.Spikes ? entry.Keep(spikes) : null;
        var savedU = potential is null ? null : entry.Keep(potential);
        var savedV0 = initial is null ? null : entry.Keep(initial);
        var savedParameter = parameter is null ? null : entry.Keep(parameter);
        bool needParameter = parameter?.RequiresGrad ?? false;
        entry.Complete(spikes, g =>
        {
            if (g[0] is null) return [null, null];
            var gi = Tensor.Empty(device, shape);
            using var perNeuron = needParameter ? Tensor.Empty(device, checked((int)n)) : null;
            kernels.SequenceBackward(device, g[0]!.View, savedSg.View, savedS?.View, savedU?.View, savedV0?.View, gi.View,
                perNeuron?.View, savedParameter?.View, n, steps);
            return [gi, perNeuron is null ? null : NeuronParameterGrad(device, perNeuron)];
        });
        return spikes;
    }

    /// <summary>One LIF / IF time step; the same as <see cref="NeuronStep(Tensor, Tensor?, NeuronSpec, Tensor?, out Tensor)"/> without a learnable parameter.</summary>
    /// <param name="current">Input current of this step, [B, ...].</param>
    /// <param name="previousV">Post-reset potential of the previous step (same shape), or null for zeros.</param>
    /// <param name="spec">Neuron parameters.</param>
    /// <param name="v">The post-reset potential after this step.</param>
    /// <returns>The spikes.</returns>
    /// <exception cref="ArgumentException">The shapes of current and previousV differ.</exception>
    public static Tensor LifStep(Tensor current, Tensor? previousV, NeuronSpec spec, out Tensor v) =>
        RunNeuronStep("LifStep", current, previousV, spec, null, null, out v);

    /// <summary>
    /// One time step of the neuron of <paramref name="spec"/>: u = charge(v_prev, I), s = H(u − Vth), v = reset(u, s).
    /// Returns the spikes and the new post-reset potential <paramref name="v"/> (new memory). When the tape records,
    /// one node with inputs (current, previousV, parameter) and outputs (spikes, v) back-propagates g_s and g_v into
    /// g_I, g_vprev = g_u·∂u/∂v and g_θ, so gradients flow through time when <paramref name="previousV"/> carries a
    /// graph and stop when the caller passes <c>previousV.Detach()</c> (SLTT). Keeps only σ' plus what the neuron's
    /// <see cref="INeuronDynamics.BackwardNeeds"/> asks for.
    /// </summary>
    /// <param name="current">Input current of this step, [B, ...].</param>
    /// <param name="previousV">
    /// Post-reset potential of the previous step (same shape), or null for zeros; for a two-state neuron (ALIF) the
    /// state [2, ...current's shape] (v, then the auxiliary state), and so is <paramref name="v"/>.
    /// </param>
    /// <param name="spec">Neuron parameters.</param>
    /// <param name="parameter">The layer's learnable θ, shape [1], when the model has one; else null.</param>
    /// <param name="v">The post-reset potential after this step.</param>
    /// <returns>The spikes.</returns>
    /// <exception cref="ArgumentException">The shapes of current and previousV differ, or a parameter the model does not expect.</exception>
    public static Tensor NeuronStep(Tensor current, Tensor? previousV, NeuronSpec spec, Tensor? parameter, out Tensor v) =>
        RunNeuronStep("NeuronStep", current, previousV, spec, parameter, null, out v);

    /// <summary>
    /// <see cref="NeuronStep(Tensor, Tensor?, NeuronSpec, Tensor?, out Tensor)"/> that also extends a presynaptic trace of
    /// its spikes (<see cref="NeuronTrace"/>): one launch for the one-state neurons, a second one for the others.
    /// </summary>
    /// <param name="current">Input current of this step, [B, ...].</param>
    /// <param name="previousV">Post-reset state of the previous step, or null for zeros.</param>
    /// <param name="spec">Neuron parameters.</param>
    /// <param name="parameter">The layer's learnable θ, shape [1], when the model has one; else null.</param>
    /// <param name="trace">The previous trace and where the next one is written (both shaped like <paramref name="current"/>); null for none.</param>
    /// <param name="v">The post-reset potential after this step.</param>
    /// <returns>The spikes.</returns>
    internal static Tensor NeuronStep(Tensor current, Tensor? previousV, NeuronSpec spec, Tensor? parameter, NeuronTrace? trace, out Tensor v) =>
        RunNeuronStep("NeuronStep", current, previousV, spec, parameter, trace, out v);

    private static Tensor RunNeuronStep(string name, Tensor current, Tensor? previousV, NeuronSpec spec, Tensor? parameter, NeuronTrace? trace, out Tensor v)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(spec);
        var device = Check.SameDevice(name, current, previousV, parameter);
        var stateShape = NeuronStateShape(spec, current.ShapeArray());
        if (previousV is not null && !previousV.Shape.SequenceEqual(stateShape))
            throw new ArgumentException(
                $"{name}: previousV {Tensor.Format(previousV.Shape)} must have the shape {Tensor.Format(stateShape)} (current {Tensor.Format(current.Shape)}, {spec.Model.StateVariables} state variable(s) of neuron '{spec.Model.Name}').");
        NeuronRequireParameter(name, spec, parameter);
        if (trace is { } given)
        {
            Check.SameDevice(name, current, given.Previous, given.Next);
            Check.SameShape(name, current, given.Previous);
            Check.SameShape(name, current, given.Next);
        }
        var kernels = NeuronKernelSetFactory.For(spec);
        var entry = Tape.Begin(name, current, previousV, parameter);
        bool record = entry is not null;
        bool needU = kernels.BackwardNeeds == NeuronBackwardNeeds.Potential;
        var shape = current.ShapeArray();
        var spikes = Tensor.Empty(device, shape);
        var vNew = Tensor.Empty(device, stateShape);
        using var surrogate = record ? Tensor.Empty(device, shape) : null;
        using var potential = record && needU ? Tensor.Empty(device, shape) : null;
        if (trace is { } t && kernels is ITracingNeuronKernels tracing)
        {
            tracing.TracedStep(device, current.View, previousV?.View, spikes.View, vNew.View, surrogate?.View, potential?.View, parameter?.View,
                t.Previous.View, t.Next.View, t.Decay);
        }
        else
        {
            kernels.Step(device, current.View, previousV?.View, spikes.View, vNew.View, surrogate?.View, potential?.View, parameter?.View);
            if (trace is { } separate) Elementwise.Combine(device, separate.Decay, separate.Previous.View, 1f, spikes.View, separate.Next.View);
        }
        v = vNew;
        if (entry is null) return spikes;

        bool needI = current.RequiresGrad, needPrev = previousV?.RequiresGrad ?? false, needParameter = parameter?.RequiresGrad ?? false;
        var savedSg = entry.Keep(surrogate!);
        var savedS = kernels.BackwardNeeds == NeuronBackwardNeeds.Spikes ? entry.Keep(spikes) : null;
        var savedU = potential is null ? null : entry.Keep(potential);
        var savedPrev = needU && previousV is not null ? entry.Keep(previousV) : null;
        var savedParameter = parameter is null ? null : entry.Keep(parameter);
        entry.Complete([spikes, vNew], g =>
        {
            if (g[0] is null && g[1] is null) return [null, null, null];
            var gi = needI ? Tensor.Empty(device, shape) : null;
            var gp = needPrev ? Tensor.Empty(device, stateShape) : null;
            using var perElement = needParameter ? Tensor.Empty(device, shape) : null;
            kernels.StepBackward(device, g[0]?.View, g[1]?.View, savedSg.View, savedS?.View, savedU?.View, savedPrev?.View,
                gi?.View, gp?.View, perElement?.View, savedParameter?.View);
            return [gi, gp, perElement is null ? null : NeuronParameterGrad(device, perElement)];
        });
        return spikes;
    }

    /// <summary>
    /// The RateBP spike pass of one LIF layer (no graph): runs the T steps of <paramref name="current"/> [T, ...]
    /// like <see cref="LifSequence"/> from a zero potential and returns the spikes [T, ...], with, per neuron, the
    /// firing rate r = (1/T)·Σ s[t] and the eligibility (1/T)·Σ σ'[t]·e[t], where e[1] = 1 and
    /// e[t+1] = 1 + e[t]·∂u[t+1]/∂u[t] (λ for soft detached reset, λ(1 − Vth·σ') soft kept,
    /// λ(1 − s) − λ·u·σ' hard kept, λ(1 − s) hard detached). One fused kernel.
    /// </summary>
    /// <param name="current">Input current, time axis first: [T, ...].</param>
    /// <param name="spec">Neuron parameters (RateBP: sigmoid α = 4, the default surrogate).</param>
    /// <param name="rate">The firing rate, shaped like current without its time axis.</param>
    /// <param name="eligibility">∂r/∂c under a constant-input assumption, same shape as <paramref name="rate"/>.</param>
    /// <returns>The spikes [T, ...], shaped like <paramref name="current"/>.</returns>
    public static Tensor LifRateStatistics(Tensor current, NeuronSpec spec, out Tensor rate, out Tensor eligibility)
    {
        const string name = "LifRateStatistics";
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(spec);
        var device = Check.SameDevice(name, current);
        var (steps, n) = NeuronTimeAxis(name, current);
        RequireRateRecursion(name, spec);
        var kernels = NeuronKernelSetFactory.For(spec);
        var stepShape = current.Shape.Skip(1).ToArray();
        using var accumulator = new RateAccumulator(device, stepShape);
        var spikes = Tensor.Empty(device, current.ShapeArray());
        kernels.RateStatistics(device, current.View, spikes.View, accumulator.Potential.View, accumulator.Recursion.View,
            accumulator.SpikeSum.View, accumulator.EligibilitySum.View, n, steps);
        accumulator.Steps = steps;
        rate = accumulator.Rate();
        eligibility = accumulator.Eligibility();
        return spikes;
    }

    /// <summary>
    /// One step of the RateBP spike pass (no graph): advances <paramref name="accumulator"/>'s potential, eligibility
    /// recursion and sums with <paramref name="current"/> [B, ...] and returns the spikes. After T steps,
    /// <see cref="RateAccumulator.Rate"/> and <see cref="RateAccumulator.Eligibility"/> equal what
    /// <see cref="LifRateStatistics"/> computes over the whole sequence, with memory independent of T.
    /// </summary>
    /// <param name="current">Input current of this step, [B, ...].</param>
    /// <param name="spec">Neuron parameters.</param>
    /// <param name="accumulator">The layer's running potential, recursion and sums, advanced in place.</param>
    /// <returns>The spikes of this step, shaped like <paramref name="current"/>.</returns>
    public static Tensor LifRateStep(Tensor current, NeuronSpec spec, RateAccumulator accumulator)
    {
        const string name = "LifRateStep";
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(accumulator);
        var device = Check.SameDevice(name, current, accumulator.Potential);
        if (current.Length != accumulator.Potential.Length)
            throw new ArgumentException($"{name}: current {Tensor.Format(current.Shape)} does not match the accumulator {Tensor.Format(accumulator.Potential.Shape)}.");
        var spikes = Tensor.Empty(device, current.ShapeArray());
        RequireRateRecursion(name, spec);
        NeuronKernelSetFactory.For(spec).RateStatistics(device, current.View, spikes.View,
            accumulator.Potential.View, accumulator.Recursion.View, accumulator.SpikeSum.View, accumulator.EligibilitySum.View, current.Length, 1);
        accumulator.Steps++;
        return spikes;
    }

    /// <summary>
    /// The RateBP rate neuron of pass 2: its value is <paramref name="rate"/> (copied into new memory) and its
    /// backward multiplies the incoming gradient by <paramref name="eligibility"/> into <paramref name="input"/>.
    /// </summary>
    /// <param name="input">The rate-pass pre-activation c (receives the gradient).</param>
    /// <param name="rate">The firing rate from the spike pass (constant).</param>
    /// <param name="eligibility">∂r/∂c from the spike pass (constant).</param>
    /// <returns>A copy of <paramref name="rate"/> whose gradient flows into <paramref name="input"/>.</returns>
    /// <exception cref="ArgumentException">The three shapes differ.</exception>
    public static Tensor RateNeuron(Tensor input, Tensor rate, Tensor eligibility)
    {
        const string name = "RateNeuron";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(rate);
        ArgumentNullException.ThrowIfNull(eligibility);
        var device = Check.SameDevice(name, input, rate, eligibility);
        Check.SameShape(name, input, rate);
        Check.SameShape(name, input, eligibility);
        var shape = input.ShapeArray();
        var y = Tensor.Empty(device, shape);
        Elementwise.Copy(device, rate.View, y.View);
        if (Tape.Begin(name, input) is not { } entry) return y;
        var savedE = entry.Keep(eligibility);
        entry.Complete(y, g =>
        {
            var gi = Tensor.Empty(device, shape);
            Elementwise.Binary(device, g[0]!.View, savedE.View, gi.View, BinaryOp.Multiply);
            return [gi];
        });
        return y;
    }

    /// <summary>
    /// One SAF neuron step (spike accumulation forwarding): u = a − λ·Vth·trace, s = H(u − Vth), then
    /// trace ← λ·trace + s in place (no graph). Returns s; when the tape records, the gradient into
    /// <paramref name="accumulatedCurrent"/> is g_s·σ'(u − Vth) (the trace is a constant).
    /// </summary>
    /// <param name="accumulatedCurrent">The accumulated input Op(â_in[t]), [B, ...].</param>
    /// <param name="trace">The neuron's own spike accumulation â[t−1] (same shape), updated in place to â[t].</param>
    /// <param name="spec">Neuron parameters: a linear-leak neuron (<see cref="NeuronModel.IsLinearLeak"/>) with soft reset.</param>
    /// <returns>The spikes.</returns>
    /// <exception cref="ArgumentException">The shapes differ, or the neuron is not linear-leak with soft reset.</exception>
    public static Tensor SafStep(Tensor accumulatedCurrent, Tensor trace, NeuronSpec spec) =>
        SafStep(accumulatedCurrent, trace, spec, SafScales.One, scaledOutput: false, freshTrace: false, out _);

    /// <summary>
    /// One SAF neuron step at the scale of one time step: the input is the current of one step's scale I (an
    /// accumulation divided by <paramref name="norm"/> N, as the ops before it see it), u = N·I − λ·Vth·trace,
    /// s = H(u − Vth), trace ← λ·trace + s in place, and the result is the new accumulation at the same scale, trace/N.
    /// When the tape records, the gradient into <paramref name="current"/> is g·σ'(u − Vth)·N·(1/N).
    /// </summary>
    /// <param name="current">The input current at the scale of one step, [B, ...].</param>
    /// <param name="trace">The neuron's own spike accumulation â[t−1] (same shape), updated in place to â[t]; with
    /// <paramref name="freshTrace"/> â[0] = 0 and its memory is only written (no fill before the first step).</param>
    /// <param name="spec">Neuron parameters: a linear-leak neuron with soft reset.</param>
    /// <param name="norm">N ≥ 1, the scale of the accumulations at this step.</param>
    /// <param name="freshTrace">Whether this is the first step (the trace's values are not read).</param>
    /// <param name="spikes">The step's spikes s (a new tensor without graph).</param>
    /// <returns>â[t]/N, a new tensor.</returns>
    internal static Tensor SafStepAtStepScale(Tensor current, Tensor trace, NeuronSpec spec, float norm, bool freshTrace, out Tensor spikes)
    {
        float inverse = 1f / norm;
        return SafStep(current, trace, spec, new SafScales(norm, inverse, norm * inverse), scaledOutput: true, freshTrace, out spikes);
    }

    private static Tensor SafStep(Tensor accumulatedCurrent, Tensor trace, NeuronSpec spec, SafScales scales, bool scaledOutput, bool freshTrace, out Tensor spikes)
    {
        const string name = "SafStep";
        ArgumentNullException.ThrowIfNull(accumulatedCurrent);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(spec);
        var device = Check.SameDevice(name, accumulatedCurrent, trace);
        Check.SameShape(name, accumulatedCurrent, trace);
        if (!spec.Model.IsLinearLeak(spec) || spec.Reset != ResetMode.Soft)
            throw new ArgumentException(
                $"{name}: SAF's accumulation identity needs a linear leak with a fixed decay and soft reset; neuron '{spec.Model.Name}' ({spec.Reset} reset) does not have it.");
        var entry = Tape.Begin(name, accumulatedCurrent);
        bool record = entry is not null;
        var shape = accumulatedCurrent.ShapeArray();
        spikes = Tensor.Empty(device, shape);
        var output = scaledOutput ? Tensor.Empty(device, shape) : spikes;
        using var surrogate = record ? Tensor.Empty(device, shape) : null;
        NeuronKernelSetFactory.For(spec).SafStep(device, accumulatedCurrent.View, trace.View, spikes.View, scaledOutput ? output.View : null, surrogate?.View,
            spec.Decay, spec.Threshold, scales, freshTrace);
        if (entry is null) return output;
        var savedSg = entry.Keep(surrogate!);
        entry.Complete(output, g =>
        {
            var gi = Tensor.Empty(device, shape);
            Elementwise.Binary(device, g[0]!.View, savedSg.View, gi.View, BinaryOp.Multiply);
            return [gi];
        });
        return output;
    }

    /// <summary>
    /// Refuses a missing or stray learnable parameter. θ itself stays on the device: the kernels read it from its
    /// one-element buffer.
    /// </summary>
    private static void NeuronRequireParameter(string operation, NeuronSpec spec, Tensor? parameter)
    {
        if (!spec.Model.HasParameter)
        {
            if (parameter is not null)
                throw new ArgumentException($"{operation}: neuron '{spec.Model.Name}' has no learnable parameter, but one was given.");
            return;
        }
        if (parameter is null || parameter.Length != 1)
            throw new ArgumentException($"{operation}: neuron '{spec.Model.Name}' needs its learnable parameter as a tensor of one element.");
    }

    /// <summary>The rate pass works with neurons whose eligibility recursion is their gradient (see the model).</summary>
    private static void RequireRateRecursion(string operation, NeuronSpec spec)
    {
        if (!spec.Model.SupportsRateRecursion(spec))
            throw new ArgumentException(
                $"{operation}: RateBP's rate recursion is not the gradient of neuron '{spec.Model.Name}' (it follows one state variable and trains no neuron parameter).");
    }

    /// <summary>Σ of the per-element contributions to ∂L/∂θ, on the device: [1].</summary>
    private static Tensor NeuronParameterGrad(Device device, Tensor contributions)
    {
        var g = Tensor.Empty(device, 1);
        Reduce.SumAxis(device, contributions.View, g.View, checked((int)contributions.Length), 1);
        return g;
    }

    private static (int Steps, long Neurons) NeuronTimeAxis(string operation, Tensor current)
    {
        if (current.Rank == 0)
            throw new ArgumentException($"{operation}: current must have a time axis first ([T, ...]), got shape {Tensor.Format(current.Shape)}.");
        int steps = current.Dim(0);
        long n = steps == 0 ? Tensor.ShapeLength(current.Shape.Skip(1).ToArray()) : current.Length / steps;
        return (steps, n);
    }

    private static void NeuronRequireStepShape(string operation, Tensor current, Tensor state, NeuronSpec spec)
    {
        var expected = NeuronStateShape(spec, current.Shape.Skip(1).ToArray());
        if (!state.Shape.SequenceEqual(expected))
            throw new ArgumentException(
                $"{operation}: state {Tensor.Format(state.Shape)} must have the shape {Tensor.Format(expected)} (current {Tensor.Format(current.Shape)} without its time axis, {spec.Model.StateVariables} state variable(s) of neuron '{spec.Model.Name}').");
    }

    /// <summary>
    /// The shape of a neuron layer's state for input steps shaped <paramref name="stepShape"/>: that shape for one
    /// state variable, [K, ...that shape] for K (see <see cref="NeuronModel.StateVariables"/>).
    /// </summary>
    internal static int[] NeuronStateShape(NeuronSpec spec, int[] stepShape) =>
        spec.Model.StateVariables == 1 ? stepShape : [spec.Model.StateVariables, .. stepShape];
}
