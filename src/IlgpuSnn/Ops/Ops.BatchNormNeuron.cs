using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Whether the neuron of <paramref name="spec"/> can take BatchNorm's output as it normalises it
    /// (<see cref="BatchNormNeuronSequence"/>): the one-state neurons (LIF, IF, PLIF and any <see cref="INeuronDynamics"/>).
    /// </summary>
    internal static bool NormalizesNeuronInput(NeuronSpec spec) => NeuronKernelSetFactory.For(spec) is INormalizingNeuronKernels;

    /// <summary>
    /// <see cref="BatchNorm"/> of x [T·B, C] or [T·B, C, H, W] (without a statistics reducer) followed by
    /// <see cref="NeuronSequence"/> over its T = <paramref name="steps"/> steps, with the same results, float for float,
    /// in fewer passes over memory: the BatchNorm pass only takes the statistics (training: batch statistics, running
    /// update; evaluation: the running statistics) into a per-channel table of μ, ρ = 1/sqrt(σ² + ε), γ and β, and the
    /// neuron kernel normalises x as it reads it (<see cref="NeuronElements.Normalize"/>, the BatchNorm kernels' own
    /// operations), so neither BatchNorm's output y nor x̂ is ever written. The backward runs the neuron's sequence
    /// backward into dL/dy, then BatchNorm's backward with x̂ recomputed from the kept x (x is kept instead of x̂; y is
    /// never kept). Differentiable in x, gamma, beta and the neuron's parameter.
    /// </summary>
    /// <param name="x">BatchNorm's input, time steps folded into the batch: [T·B, C, ...].</param>
    /// <param name="steps">T.</param>
    /// <param name="gamma">Per-channel scale [C].</param>
    /// <param name="beta">Per-channel shift [C].</param>
    /// <param name="runningMean">Running mean [C]: read in evaluation, updated in place in training.</param>
    /// <param name="runningVar">Running (unbiased) variance [C]: read in evaluation, updated in place in training.</param>
    /// <param name="training">True to normalise with the batch statistics and update the running ones.</param>
    /// <param name="momentum">Weight of the new batch statistics in the running averages.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="spec">Neuron parameters (a one-state neuron: <see cref="NormalizesNeuronInput"/>).</param>
    /// <param name="parameter">The neuron layer's learnable θ [1] when the model has one; else null.</param>
    /// <param name="state">Optional post-reset potential of the B·C·H·W neurons, read as v[0] and overwritten with v[T].</param>
    /// <returns>The spikes, shaped like <paramref name="x"/>.</returns>
    /// <exception cref="ArgumentException">Shapes that do not fit, too few values per channel in training, or a neuron that cannot normalise its input.</exception>
    internal static Tensor BatchNormNeuronSequence(Tensor x, int steps, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, bool training,
        float momentum, float eps, NeuronSpec spec, Tensor? parameter, Tensor? state)
    {
        const string name = "BatchNormNeuronSequence";
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(spec);
        var device = Check.SameDevice(name, x, gamma, beta, runningMean, runningVar);
        Check.SameDevice(name, x, state, parameter);
        var (channels, spatial) = BatchNormLayout(name, x);
        CheckPerChannel(name, x, channels, (gamma, "gamma"), (beta, "beta"), (runningMean, "runningMean"), (runningVar, "runningVar"));
        if (steps < 1 || x.Dim(0) % steps != 0)
            throw new ArgumentException($"{name}: {x.Dim(0)} rows of {Tensor.Format(x.Shape)} are not {steps} time steps.", nameof(steps));
        long n = x.Length / steps;
        if (state is not null && state.Length != n)
            throw new ArgumentException($"{name}: state {Tensor.Format(state.Shape)} must hold the {n} neurons of one step of {Tensor.Format(x.Shape)}.", nameof(state));
        NeuronRequireParameter(name, spec, parameter);
        if (NeuronKernelSetFactory.For(spec) is not INormalizingNeuronKernels kernels)
            throw new ArgumentException($"{name}: neuron '{spec.Model.Name}' cannot normalise its input; run Ops.BatchNorm and Ops.NeuronSequence.", nameof(spec));
        if (training && x.Length / channels <= 1) throw TooFewValues("BatchNorm", x);

        var entry = Tape.Begin(name, x, gamma, beta, parameter);
        bool record = entry is not null;
        bool needX = record && x.RequiresGrad, needGamma = record && gamma.RequiresGrad, needBeta = record && beta.RequiresGrad;
        using var table = Tensor.Empty(device, ChannelNormalization.Planes, channels);
        using var scale = Tensor.Empty(device, channels);
        if (training)
            BatchNormKernels.TrainTable(device, x.View, gamma.View, beta.View, runningMean.View, runningVar.View, momentum, eps, table.View, scale.View, channels, spatial);
        else
            BatchNormKernels.PrepareTable(device, runningMean.View, runningVar.View, gamma.View, beta.View, eps, table.View, scale.View);

        bool needU = kernels.BackwardNeeds == NeuronBackwardNeeds.Potential;
        var shape = x.ShapeArray();
        var spikes = Tensor.Empty(device, shape);
        using var surrogate = record ? Tensor.Empty(device, shape) : null;
        using var potential = record && needU ? Tensor.Empty(device, shape) : null;
        using var initial = record && needU && state is not null ? Tensor.Empty(device, state.ShapeArray()) : null;
        if (initial is not null) Elementwise.Copy(device, state!.View, initial.View);
        kernels.NormalizedSequence(device, x.View, table.View, new ChannelNormalization(channels, spatial), spikes.View, surrogate?.View, potential?.View,
            state?.View, parameter?.View, n, steps);
        if (entry is null) return spikes;

        var savedSg = entry.Keep(surrogate!);
        var savedS = kernels.BackwardNeeds == NeuronBackwardNeeds.Spikes ? entry.Keep(spikes) : null;
        var savedU = potential is null ? null : entry.Keep(potential);
        var savedV0 = initial is null ? null : entry.Keep(initial);
        var savedParameter = parameter is null ? null : entry.Keep(parameter);
        // x stands in for x̂ where BatchNorm's backward reads it (dγ, and dx with batch statistics).
        var savedX = needGamma || (needX && training) ? entry.Keep(x) : null;
        var savedTable = entry.Keep(table);
        var savedScale = needX ? entry.Keep(scale) : null;
        bool needParameter = parameter?.RequiresGrad ?? false;
        entry.Complete(spikes, g =>
        {
            if (g[0] is null) return [null, null, null, null];
            using var dy = Tensor.Empty(device, shape);
            using var perNeuron = needParameter ? Tensor.Empty(device, checked((int)n)) : null;
            kernels.SequenceBackward(device, g[0]!.View, savedSg.View, savedS?.View, savedU?.View, savedV0?.View, dy.View,
                perNeuron?.View, savedParameter?.View, n, steps);
            // Released now, as the neuron's own node would have been before BatchNorm's backward runs (disposing is idempotent).
            foreach (var read in new[] { g[0], savedSg, savedS, savedU, savedV0 }) read?.Dispose();
            var (dx, dgamma, dbeta) = BatchNormBackward(device, dy, shape, savedX, savedTable, savedScale, needX, needGamma, needBeta, training, channels, spatial);
            return [dx, dgamma, dbeta, perNeuron is null ? null : NeuronParameterGrad(device, perNeuron)];
        });
        return spikes;
    }
}
