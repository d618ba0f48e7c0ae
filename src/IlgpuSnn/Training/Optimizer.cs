using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// What every optimizer shares: argument checks, the learning rate, the step loop over parameters that have a
/// gradient, <see cref="ZeroGrad"/>, named state tensors (created outside any scope, freed by <see cref="Dispose"/>)
/// and the step count, kept on the device as the one-element state tensor "step" (exact up to 2^24 steps): a step, and
/// the decision to skip one (<see cref="Step(Tensor)"/>), never waits for the device; reading
/// <see cref="StepCount"/> does.
/// </summary>
public abstract class Optimizer : IOptimizer
{
    private readonly Tensor[] parameters;
    private readonly List<Tensor> owned = [];
    private readonly Tensor stepTensor;
    private float learningRate;
    private bool disposed;

    /// <summary>Checks the parameters and the learning rate.</summary>
    /// <param name="name">The method's name, used in messages.</param>
    /// <param name="parameters">The parameters to update, all on one device.</param>
    /// <param name="learningRate">The initial learning rate; finite and positive.</param>
    /// <exception cref="ArgumentException">An empty, duplicated, disposed or mixed-device parameter list, or a bad learning rate.</exception>
    protected Optimizer(string name, IReadOnlyList<Tensor> parameters, float learningRate)
    {
        Name = name;
        Device = ValidateParameters(name, parameters);
        ValidateLearningRate(name, learningRate);
        this.parameters = [.. parameters];
        this.learningRate = learningRate;
        stepTensor = CreateState("step", 1);
    }

    /// <summary>The optimizer's name, used in messages.</summary>
    protected string Name { get; }

    /// <summary>The device of the parameters.</summary>
    protected Device Device { get; }

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => parameters;

    /// <inheritdoc />
    public float LearningRate
    {
        get => learningRate;
        set
        {
            ValidateLearningRate(Name, value);
            learningRate = value;
        }
    }

    /// <inheritdoc />
    public long StepCount
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return (long)Math.Round(stepTensor.Item());
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ObjectDisposedException.ThrowIf(disposed, this);
            Ops.FillInPlace(stepTensor, value);
            OnStepCountSet(value);
        }
    }

    /// <inheritdoc />
    public void Step() => Apply(null);

    /// <summary>
    /// Applies one update unless <paramref name="skip"/>[0] ≠ 0, decided on the device: every update kernel reads the
    /// flag and leaves parameters, state and step counts unchanged when it is set. Nothing waits for the device.
    /// </summary>
    /// <param name="skip">A one-element flag on the optimizer's device (e.g. set by a non-finite scan of the gradients).</param>
    public void Step(Tensor skip)
    {
        ArgumentNullException.ThrowIfNull(skip);
        if (skip.Length != 1 || !ReferenceEquals(skip.Device, Device))
            throw new ArgumentException($"{Name}: the skip flag must be one element on the parameters' device, got {Tensor.Format(skip.Shape)}.", nameof(skip));
        Apply(skip);
    }

    /// <inheritdoc />
    public void ZeroGrad()
    {
        foreach (var p in parameters) p.ClearGrad();
    }

    /// <inheritdoc />
    public IEnumerable<KeyValuePair<string, Tensor>> State()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return [.. StateTensors(), new("step", stepTensor)];
    }

    /// <summary>Frees the state tensors (not the parameters).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in owned) t.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Updates one parameter that has a gradient (enqueues the update; it must do nothing when skip[0] ≠ 0).</summary>
    /// <param name="index">Position of the parameter in <see cref="Parameters"/> (selects its state).</param>
    /// <param name="parameter">The parameter, updated in place.</param>
    /// <param name="gradient">Its gradient, same shape.</param>
    /// <param name="skip">The one-element skip flag the update kernels read, or null to update unconditionally.</param>
    protected abstract void Update(int index, Tensor parameter, Tensor gradient, Tensor? skip);

    /// <summary>
    /// Per-parameter step counters and their pending increments that the end of a step commits on the device
    /// (counts[i] += increments[i]; increments[i] = 0), or null when the method keeps none.
    /// </summary>
    protected virtual (Tensor Counts, Tensor Increments)? ParameterStepCounters => null;

    /// <summary>The method's own named state tensors, in checkpoint order.</summary>
    /// <returns>Name and tensor pairs, without the step count.</returns>
    protected abstract IEnumerable<KeyValuePair<string, Tensor>> StateTensors();

    /// <summary>Called when <see cref="StepCount"/> is set.</summary>
    /// <param name="value">The new step count.</param>
    protected virtual void OnStepCountSet(long value)
    {
    }

    /// <summary>A zero state tensor that lives until <see cref="Dispose"/>.</summary>
    /// <param name="name">The tensor's name in checkpoints.</param>
    /// <param name="shape">The tensor's shape.</param>
    /// <returns>A zero tensor on the optimizer's device that the optimizer owns.</returns>
    protected Tensor CreateState(string name, params int[] shape)
    {
        using (TensorScope.Suspend())
        {
            var t = Tensor.Zeros(Device, shape);
            t.Name = name;
            owned.Add(t);
            return t;
        }
    }

    /// <summary>Checks a hyper-parameter that must be finite and ≥ 0.</summary>
    /// <param name="value">The value to check.</param>
    /// <param name="what">Name of the hyper-parameter in the message.</param>
    /// <param name="parameterName">Name of the constructor parameter for the exception.</param>
    /// <exception cref="ArgumentException"><paramref name="value"/> is negative, NaN or infinite.</exception>
    protected void RequireNonNegative(float value, string what, string parameterName)
    {
        if (!(value >= 0f) || float.IsInfinity(value))
            throw new ArgumentException($"{Name}: {what} must be a finite value ≥ 0, got {value}.", parameterName);
    }

    /// <summary>
    /// The whole step (every update and its end) in one fused launch where the device has one (the CPU accelerator's
    /// host kernels); false to run <see cref="Update"/> per parameter and then the commit of the step counts.
    /// </summary>
    /// <param name="updates">The parameters that have a gradient.</param>
    /// <param name="skip">The skip flag, or null.</param>
    /// <param name="stepCount">The optimizer's one-element step count, advanced by the fused step unless skipped.</param>
    /// <returns>Whether the step ran fused.</returns>
    private protected virtual bool TryStepFused(IReadOnlyList<ParameterUpdate> updates, Tensor? skip, Tensor stepCount) => false;

    private void Apply(Tensor? skip)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var updates = new List<ParameterUpdate>(parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var g = p.Grad;
            if (g is null) continue;
            if (g.Length != p.Length)
                throw new InvalidOperationException($"{Name}: gradient {Tensor.Format(g.Shape)} does not match parameter {i} {Tensor.Format(p.Shape)}.");
            updates.Add(new ParameterUpdate(i, p, g));
        }
        if (TryStepFused(updates, skip, stepTensor)) return;
        foreach (var u in updates) Update(u.Index, u.Parameter, u.Gradient, skip);
        var counters = ParameterStepCounters;
        Ops.CommitOptimizerStep(skip, stepTensor, counters?.Counts, counters?.Increments);
    }

    private static Device ValidateParameters(string optimizer, IReadOnlyList<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0) throw new ArgumentException($"{optimizer}: the parameter list is empty.", nameof(parameters));
        Device? device = null;
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i] ?? throw new ArgumentException($"{optimizer}: parameter {i} is null.", nameof(parameters));
            if (p.IsDisposed) throw new ArgumentException($"{optimizer}: parameter {i} {Tensor.Format(p.Shape)} was disposed.", nameof(parameters));
            device ??= p.Device;
            if (!ReferenceEquals(device, p.Device))
                throw new ArgumentException($"{optimizer}: parameters live on different devices ({device.Info.Id} and {p.Device.Info.Id}).", nameof(parameters));
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(parameters[j], p))
                    throw new ArgumentException($"{optimizer}: parameter {i} {Tensor.Format(p.Shape)} appears twice.", nameof(parameters));
        }
        return device!;
    }

    private static void ValidateLearningRate(string optimizer, float learningRate)
    {
        if (!(learningRate >= 0f) || float.IsInfinity(learningRate))
            throw new ArgumentException($"{optimizer}: the learning rate must be a finite value ≥ 0, got {learningRate}.", nameof(learningRate));
    }

    /// <summary>A parameter that has a gradient at this step.</summary>
    /// <param name="Index">Its position in <see cref="Parameters"/>.</param>
    /// <param name="Parameter">The parameter.</param>
    /// <param name="Gradient">Its gradient.</param>
    private protected readonly record struct ParameterUpdate(int Index, Tensor Parameter, Tensor Gradient);
}
