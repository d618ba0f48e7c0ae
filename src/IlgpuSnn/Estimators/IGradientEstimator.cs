using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// A gradient estimator: drives the network over one sequence, records only the graph edges its method keeps,
/// back-propagates into the parameters' gradients and calls <see cref="EstimatorContext.Update"/> when its method steps
/// the optimizer.
/// </summary>
public interface IGradientEstimator : IDisposable
{
    /// <summary>The name used on the command line ("bptt", "sltt", ...).</summary>
    string Name { get; }

    /// <summary>The loss reduction the method needs, or null if it supports both.</summary>
    LossReduction? RequiredReduction { get; }

    /// <summary>The loss reduction the method trains on when none is asked for: its paper's.</summary>
    LossReduction DefaultReduction => RequiredReduction ?? LossReduction.PerStep;

    /// <summary>
    /// Over which samples BatchNorm takes its batch statistics (the step-by-step methods always normalise per step).
    /// </summary>
    BatchNormStatistics BatchNormStats => BatchNormStatistics.PerStep;

    /// <summary>Parameters the estimator adds for training (auxiliary heads), created by <see cref="Attach"/>.</summary>
    IReadOnlyList<Tensor> ExtraParameters { get; }

    /// <summary>Prepares the estimator for <paramref name="network"/> (creates auxiliary heads); call once.</summary>
    /// <param name="network">The network this estimator will train.</param>
    void Attach(SpikingNetwork network);

    /// <summary>Runs one sequence <paramref name="input"/> [T, B, ...].</summary>
    /// <param name="network">The network, attached with <see cref="Attach"/>.</param>
    /// <param name="input">The encoded sequence [T, B, ...input shape].</param>
    /// <param name="loss">The loss with the batch's targets.</param>
    /// <param name="context">The optimizer, the spike observer and the other per-run settings.</param>
    /// <returns>The sequence's loss and Σ_t o[t] ([B, classes]), on the device; the caller disposes it.</returns>
    EstimatorResult Run(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context);
}
