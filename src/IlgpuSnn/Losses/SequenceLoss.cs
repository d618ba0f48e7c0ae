using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>
/// The loss of a sequence of read-outs for one batch: a criterion (cross-entropy or ½ squared error), a reduction over
/// time (per-step or mean-output) and the targets (labels [B] or target vectors [B, C]).
/// </summary>
/// <param name="criterion">The criterion ℓ.</param>
/// <param name="reduction">How time enters the loss.</param>
/// <param name="target">Labels [B] or target vectors [B, C].</param>
/// <param name="mseWeight">λ of <see cref="Criterion.CrossEntropyWithSquaredError"/> (0.05, the SLTT/OTTT value).</param>
public sealed class SequenceLoss(Criterion criterion, LossReduction reduction, Tensor target, float mseWeight = 0.05f)
{
    /// <summary>The criterion ℓ.</summary>
    public Criterion Criterion { get; } = criterion;

    /// <summary>How time enters the loss.</summary>
    public LossReduction Reduction { get; } = reduction;

    /// <summary>Labels [B] (as float class indices) or target vectors [B, C].</summary>
    public Tensor Target { get; } = target ?? throw new ArgumentNullException(nameof(target));

    /// <summary>λ of <see cref="Criterion.CrossEntropyWithSquaredError"/>.</summary>
    public float MseWeight { get; } = mseWeight is >= 0f and <= 1f
        ? mseWeight
        : throw new ArgumentOutOfRangeException(nameof(mseWeight), $"SequenceLoss: the MSE weight must be in [0, 1], got {mseWeight}.");

    /// <summary>ℓ of one read-out [B, C], averaged over the batch.</summary>
    /// <param name="logits">One read-out [B, C] (or several steps folded as [k·B, C] with matching targets).</param>
    /// <returns>The loss, a [1] tensor the caller owns.</returns>
    public Tensor Of(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        switch (Criterion)
        {
            case Criterion.CrossEntropy:
                return Ops.SoftmaxCrossEntropy(logits, Target);
            case Criterion.SquaredError when Target.Rank == 1:
            {
                using var oneHot = OneHot(logits.Dim(-1));
                return Ops.MseLoss(logits, oneHot);
            }
            case Criterion.SquaredError:
                return Ops.MseLoss(logits, Target);
            case Criterion.CrossEntropyWithSquaredError:
            {
                using var ce = Ops.SoftmaxCrossEntropy(logits, Target);
                using var oneHot = OneHot(logits.Dim(-1));
                using var mse = Ops.MseLoss(logits, oneHot);
                using var a = Ops.Scale(ce, 1f - MseWeight);
                using var b = Ops.Scale(mse, MseWeight);
                return Ops.Add(a, b);
            }
            default:
            {
                using var mse = Ops.MseLoss(logits, Target);
                return Ops.Scale(mse, logits.Dim(-1) / 2f);
            }
        }
    }

    private Tensor OneHot(int classes) => Ops.OneHot(Target, classes);

    /// <summary>
    /// The per-step term (1/T)·ℓ(o[t]) for steps folded into <paramref name="logits"/> ([k·B, C] holding k steps):
    /// (1/T)·Σ over those steps. Used by online and windowed estimators; needs <see cref="LossReduction.PerStep"/>.
    /// </summary>
    /// <param name="logits">Read-outs [k·B, C] of k steps, time-major.</param>
    /// <param name="stepsInLogits">The number of steps k folded into <paramref name="logits"/>.</param>
    /// <param name="timeSteps">The sequence length T.</param>
    /// <returns>(1/T)·Σ over the k steps of ℓ(o[t]), a [1] tensor the caller owns.</returns>
    /// <exception cref="InvalidOperationException"><see cref="Reduction"/> is not <see cref="LossReduction.PerStep"/>.</exception>
    public Tensor Steps(Tensor logits, int stepsInLogits, int timeSteps)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (Reduction != LossReduction.PerStep)
            throw new InvalidOperationException("This estimator back-propagates step by step and needs the per-step loss.");
        if (stepsInLogits == 1) return Scaled(logits, 1f / timeSteps);
        // ℓ averaged over k·B rows equals (1/k)·Σ_t ℓ_t, so scale by k/T. Cross-entropy reads each step's labels in
        // place; the other criteria take the targets repeated over the steps.
        float factor = (float)stepsInLogits / timeSteps;
        if (Criterion == Criterion.CrossEntropy) return Ops.SoftmaxCrossEntropy(logits, Target, factor, labelsPerStep: true);
        using var repeated = RepeatTarget(stepsInLogits);
        return new SequenceLoss(Criterion, Reduction, repeated, MseWeight).Scaled(logits, factor);
    }

    /// <summary>
    /// factor·ℓ(<paramref name="logits"/>): inside the loss's own launches where the criterion allows (cross-entropy and
    /// squared error apply it after their mean, as a separate scale would), else as one more scale.
    /// </summary>
    private Tensor Scaled(Tensor logits, float factor)
    {
        switch (Criterion)
        {
            case Criterion.CrossEntropy:
                return Ops.SoftmaxCrossEntropy(logits, Target, factor, labelsPerStep: false);
            case Criterion.SquaredError when Target.Rank == 1:
            {
                using var oneHot = OneHot(logits.Dim(-1));
                return Ops.MseLoss(logits, oneHot, factor);
            }
            case Criterion.SquaredError:
                return Ops.MseLoss(logits, Target, factor);
            default:
            {
                using var l = Of(logits);
                return Ops.Scale(l, factor);
            }
        }
    }

    /// <summary>The loss of a whole sequence of read-outs [T·B, C] (time-major) under <see cref="Reduction"/>.</summary>
    /// <param name="logits">Read-outs [T·B, C] of the whole sequence, time-major.</param>
    /// <param name="timeSteps">The sequence length T.</param>
    /// <returns>The loss, a [1] tensor the caller owns.</returns>
    public Tensor Sequence(Tensor logits, int timeSteps)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (Reduction == LossReduction.PerStep) return Steps(logits, timeSteps, timeSteps);
        using var perStep = logits.Reshape(timeSteps, -1);
        using var mean = Ops.MeanAxis(perStep, 0);
        using var meanLogits = mean.Reshape(logits.Dim(0) / timeSteps, logits.Dim(-1));
        return Of(meanLogits);
    }

    /// <summary>The targets repeated <paramref name="times"/> along the first axis, copied on the device.</summary>
    private Tensor RepeatTarget(int times)
    {
        var shape = Target.ShapeArray();
        shape[0] *= times;
        var repeated = Tensor.Empty(Target.Device, shape);
        if (repeated.Length > 0) Kernels.Reduce.BroadcastAxis(Target.Device, Target.View, repeated.View, times, checked((int)Target.Length));
        repeated.CheckedClassCount = Target.CheckedClassCount;
        return repeated;
    }
}
