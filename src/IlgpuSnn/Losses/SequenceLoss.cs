using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>
/// The loss of a sequence of read-outs for one batch: a criterion (cross-entropy or ½ squared error), a reduction over
/// time (per-step or mean-output) and the targets (labels [B] or target vectors [B, C]).
/// </summary>
public sealed class SequenceLoss(Criterion criterion, LossReduction reduction, Tensor target)
{
    /// <summary>The criterion ℓ.</summary>
    public Criterion Criterion { get; } = criterion;

    /// <summary>How time enters the loss.</summary>
    public LossReduction Reduction { get; } = reduction;

    /// <summary>Labels [B] (as float class indices) or target vectors [B, C].</summary>
    public Tensor Target { get; } = target ?? throw new ArgumentNullException(nameof(target));

    /// <summary>ℓ of one read-out [B, C], averaged over the batch.</summary>
    public Tensor Of(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (Criterion == Criterion.CrossEntropy) return Ops.SoftmaxCrossEntropy(logits, Target);
        using var mse = Ops.MseLoss(logits, Target);
        return Ops.Scale(mse, logits.Dim(-1) / 2f);
    }

    /// <summary>
    /// The per-step term (1/T)·ℓ(o[t]) for steps folded into <paramref name="logits"/> ([k·B, C] holding k steps):
    /// (1/T)·Σ over those steps. Used by online and windowed estimators; needs <see cref="LossReduction.PerStep"/>.
    /// </summary>
    public Tensor Steps(Tensor logits, int stepsInLogits, int timeSteps)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (Reduction != LossReduction.PerStep)
            throw new InvalidOperationException("This estimator back-propagates step by step and needs the per-step loss.");
        if (stepsInLogits == 1)
        {
            using var l = Of(logits);
            return Ops.Scale(l, 1f / timeSteps);
        }
        // ℓ averaged over k·B rows equals (1/k)·Σ_t ℓ_t, so scale by k/T.
        using var repeated = RepeatTarget(stepsInLogits);
        using var all = new SequenceLoss(Criterion, Reduction, repeated).Of(logits);
        return Ops.Scale(all, (float)stepsInLogits / timeSteps);
    }

    /// <summary>The loss of a whole sequence of read-outs [T·B, C] (time-major) under <see cref="Reduction"/>.</summary>
    public Tensor Sequence(Tensor logits, int timeSteps)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (Reduction == LossReduction.PerStep) return Steps(logits, timeSteps, timeSteps);
        using var perStep = logits.Reshape(timeSteps, -1);
        using var mean = Ops.MeanAxis(perStep, 0);
        using var meanLogits = mean.Reshape(logits.Dim(0) / timeSteps, logits.Dim(-1));
        return Of(meanLogits);
    }

    private Tensor RepeatTarget(int times)
    {
        var host = Target.ToArray();
        var data = new float[host.Length * times];
        for (int i = 0; i < times; i++) host.CopyTo(data, i * host.Length);
        var shape = Target.ShapeArray();
        shape[0] *= times;
        return Tensor.FromArray(Target.Device, data, shape);
    }
}
