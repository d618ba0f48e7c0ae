namespace IlgpuSnn.Training;

/// <summary>
/// Linear warm-up followed by cosine annealing, indexed by the optimizer step (0-based):
/// <list type="bullet">
/// <item>during warm-up (step &lt; warmupSteps): lr = base · (step + 1) / warmupSteps, so the first step already
/// uses base/warmupSteps and the last warm-up step uses the full base rate;</item>
/// <item>afterwards: lr = min + (base − min) · ½ · (1 + cos(π · (step − warmupSteps) / (totalSteps − warmupSteps))),
/// which starts at base right after the warm-up and reaches min at step = totalSteps;</item>
/// <item>at and after totalSteps: lr = min.</item>
/// </list>
/// </summary>
public sealed class CosineSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLearningRate">The peak learning rate (≥ 0).</param>
    /// <param name="totalSteps">The step at which the rate reaches <paramref name="minLearningRate"/> (&gt; 0).</param>
    /// <param name="warmupSteps">Steps of linear warm-up (0 to <paramref name="totalSteps"/>).</param>
    /// <param name="minLearningRate">The final learning rate (0 to <paramref name="baseLearningRate"/>).</param>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public CosineSchedule(float baseLearningRate, long totalSteps, long warmupSteps = 0, float minLearningRate = 0f)
    {
        if (!(baseLearningRate >= 0f) || float.IsInfinity(baseLearningRate))
            throw new ArgumentException($"CosineSchedule: the base learning rate must be a finite value ≥ 0, got {baseLearningRate}.", nameof(baseLearningRate));
        if (totalSteps <= 0)
            throw new ArgumentException($"CosineSchedule: totalSteps must be > 0, got {totalSteps}.", nameof(totalSteps));
        if (warmupSteps < 0 || warmupSteps > totalSteps)
            throw new ArgumentException($"CosineSchedule: warmupSteps must lie in 0..{totalSteps}, got {warmupSteps}.", nameof(warmupSteps));
        if (!(minLearningRate >= 0f && minLearningRate <= baseLearningRate))
            throw new ArgumentException($"CosineSchedule: the minimum learning rate must lie in 0..{baseLearningRate}, got {minLearningRate}.", nameof(minLearningRate));
        BaseLearningRate = baseLearningRate;
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
        MinLearningRate = minLearningRate;
    }

    /// <summary>The peak learning rate.</summary>
    public float BaseLearningRate { get; }

    /// <summary>The step at which the rate reaches <see cref="MinLearningRate"/>.</summary>
    public long TotalSteps { get; }

    /// <summary>Number of warm-up steps.</summary>
    public long WarmupSteps { get; }

    /// <summary>The final learning rate.</summary>
    public float MinLearningRate { get; }

    /// <summary>The learning rate for the 0-based optimizer step <paramref name="step"/>.</summary>
    /// <param name="step">0-based optimizer step; non-negative.</param>
    /// <returns>The warm-up rate before <see cref="WarmupSteps"/>, then the cosine decay, and <see cref="MinLearningRate"/> from <see cref="TotalSteps"/> on.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public float At(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps) return (float)((double)BaseLearningRate * (step + 1) / WarmupSteps);
        if (step >= TotalSteps) return MinLearningRate;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return (float)(MinLearningRate + (BaseLearningRate - (double)MinLearningRate) * 0.5 * (1.0 + Math.Cos(Math.PI * progress)));
    }

    /// <summary>Sets <paramref name="optimizer"/>'s learning rate to <see cref="At"/>(<paramref name="step"/>).</summary>
    /// <param name="optimizer">The optimizer whose learning rate is set.</param>
    /// <param name="step">0-based optimizer step; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public void Apply(IOptimizer optimizer, long step)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.LearningRate = At(step);
    }
}
