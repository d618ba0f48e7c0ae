using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Adam with decoupled weight decay, following PyTorch's <c>torch.optim.AdamW</c> (amsgrad off): with t the
/// parameter's own step count, p *= 1 − lr·wd; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
/// p −= lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + ε). One fused kernel per parameter (on the CPU accelerator one
/// launch for the whole step).
/// </summary>
/// <remarks>
/// The moments ("exp_avg.{i}", "exp_avg_sq.{i}") are allocated eagerly as zeros. As in PyTorch, each parameter counts
/// its own steps (a parameter without a gradient at a step, or a step skipped on the device, does not advance it); the
/// counts live on the device, where the update kernel reads t, and are exposed as "param_steps" (one value per
/// parameter), exact up to 2^24 steps. Setting <see cref="Optimizer.StepCount"/> sets every parameter's count to the same
/// value.
/// </remarks>
public sealed class AdamW : Optimizer
{
    private readonly Tensor[] expAvg;
    private readonly Tensor[] expAvgSq;
    private readonly Tensor parameterStepsTensor;
    private readonly Tensor pendingIncrements;

    /// <summary>Creates the optimizer and its state.</summary>
    /// <param name="parameters">The tensors to update (at least one, all on one device).</param>
    /// <param name="learningRate">The step size (≥ 0).</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="eps">Added to the denominator (≥ 0).</param>
    /// <param name="weightDecay">Decoupled weight decay (≥ 0): p is multiplied by 1 − lr·wd each step.</param>
    /// <exception cref="ArgumentException">An empty or mixed-device parameter list, or an invalid hyper-parameter.</exception>
    public AdamW(IReadOnlyList<Tensor> parameters, float learningRate, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
        : base("AdamW", parameters, learningRate)
    {
        if (!(beta1 >= 0f && beta1 < 1f)) throw new ArgumentException($"AdamW: beta1 must lie in [0, 1), got {beta1}.", nameof(beta1));
        if (!(beta2 >= 0f && beta2 < 1f)) throw new ArgumentException($"AdamW: beta2 must lie in [0, 1), got {beta2}.", nameof(beta2));
        RequireNonNegative(eps, "eps", nameof(eps));
        RequireNonNegative(weightDecay, "weight decay", nameof(weightDecay));
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        expAvg = Parameters.Select((p, i) => CreateState($"exp_avg.{i}", p.ShapeArray())).ToArray();
        expAvgSq = Parameters.Select((p, i) => CreateState($"exp_avg_sq.{i}", p.ShapeArray())).ToArray();
        parameterStepsTensor = CreateState("param_steps", Parameters.Count);
        pendingIncrements = CreateState("pending_steps", Parameters.Count);
    }

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the denominator.</summary>
    public float Eps { get; }

    /// <summary>The decoupled weight decay.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc />
    protected override void Update(int index, Tensor parameter, Tensor gradient, Tensor? skip)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(gradient);
        double lr = LearningRate;
        Ops.AdamWUpdate(parameter, gradient, expAvg[index], expAvgSq[index], parameterStepsTensor, pendingIncrements, index, skip,
            learningRate: LearningRate, decay: (float)(1.0 - lr * WeightDecay), beta1: Beta1, beta2: Beta2, eps: Eps);
    }

    /// <inheritdoc />
    private protected override bool TryStepFused(IReadOnlyList<ParameterUpdate> updates, Tensor? skip, Tensor stepCount) =>
        Ops.TryAdamWStepFused(updates.Select(u => (u.Index, u.Parameter, u.Gradient, expAvg[u.Index], expAvgSq[u.Index])).ToList(), parameterStepsTensor, skip,
            stepCount, LearningRate, (float)(1.0 - ((double)LearningRate * WeightDecay)), Beta1, Beta2, Eps);

    /// <inheritdoc />
    protected override (Tensor Counts, Tensor Increments)? ParameterStepCounters => (parameterStepsTensor, pendingIncrements);

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, Tensor>> StateTensors() =>
        expAvg.Select((t, i) => KeyValuePair.Create($"exp_avg.{i}", t))
            .Concat(expAvgSq.Select((t, i) => KeyValuePair.Create($"exp_avg_sq.{i}", t)))
            .Append(KeyValuePair.Create("param_steps", parameterStepsTensor));

    /// <inheritdoc />
    protected override void OnStepCountSet(long value) => Ops.FillInPlace(parameterStepsTensor, value);
}
