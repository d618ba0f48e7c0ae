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

    /// <summary>Parameters the estimator adds for training (auxiliary heads), created by <see cref="Attach"/>.</summary>
    IReadOnlyList<Tensor> ExtraParameters { get; }

    /// <summary>Prepares the estimator for <paramref name="network"/> (creates auxiliary heads); call once.</summary>
    void Attach(SpikingNetwork network);

    /// <summary>Runs one sequence <paramref name="input"/> [T, B, ...].</summary>
    EstimatorResult Run(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context);
}
