using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Stochastic gradient descent with optional momentum, Nesterov momentum and (coupled) weight decay, following
/// PyTorch's <c>torch.optim.SGD</c> (dampening 0): d = g + wd·p; buf = momentum·buf + d (buf = d at the first
/// step); d = nesterov ? d + momentum·buf : buf; p −= lr·d. One fused kernel per parameter (on the CPU accelerator one
/// launch for the whole step).
/// </summary>
/// <remarks>
/// The momentum buffers ("momentum.{i}") are allocated eagerly as zeros; with a zero buffer the first update gives
/// buf = d exactly, as PyTorch does.
/// </remarks>
public sealed class Sgd : Optimizer
{
    private readonly Tensor[] momentumBuffers;

    /// <summary>Creates the optimizer and its state.</summary>
    /// <param name="parameters">The tensors to update (at least one, all on one device).</param>
    /// <param name="learningRate">The step size (≥ 0).</param>
    /// <param name="momentum">The momentum factor (≥ 0; 0 disables the buffers).</param>
    /// <param name="nesterov">Use Nesterov momentum (requires momentum &gt; 0).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient (≥ 0).</param>
    /// <exception cref="ArgumentException">An empty or mixed-device parameter list, or an invalid hyper-parameter.</exception>
    public Sgd(IReadOnlyList<Tensor> parameters, float learningRate, float momentum = 0f, bool nesterov = false, float weightDecay = 0f)
        : base("Sgd", parameters, learningRate)
    {
        RequireNonNegative(momentum, "momentum", nameof(momentum));
        RequireNonNegative(weightDecay, "weight decay", nameof(weightDecay));
        if (nesterov && momentum == 0f)
            throw new ArgumentException("Sgd: Nesterov momentum requires a momentum > 0.", nameof(nesterov));
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        momentumBuffers = momentum == 0f ? [] : Parameters.Select((p, i) => CreateState($"momentum.{i}", p.ShapeArray())).ToArray();
    }

    /// <summary>The momentum factor.</summary>
    public float Momentum { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>The (coupled, L2) weight decay.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc />
    protected override void Update(int index, Tensor parameter, Tensor gradient, Tensor? skip)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(gradient);
        Ops.SgdUpdate(parameter, gradient, Momentum == 0f ? null : momentumBuffers[index], skip,
            LearningRate, Momentum, Nesterov, WeightDecay);
    }

    /// <inheritdoc />
    private protected override bool TryStepFused(IReadOnlyList<ParameterUpdate> updates, Tensor? skip, Tensor stepCount) =>
        Ops.TrySgdStepFused(updates.Select(u => (u.Parameter, u.Gradient, Momentum == 0f ? null : momentumBuffers[u.Index])).ToList(), skip, stepCount,
            LearningRate, Momentum, Nesterov, WeightDecay);

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, Tensor>> StateTensors() =>
        momentumBuffers.Select((b, i) => KeyValuePair.Create($"momentum.{i}", b));
}
