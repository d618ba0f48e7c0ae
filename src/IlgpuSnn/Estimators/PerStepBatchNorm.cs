using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// BatchNorm with per-step statistics for methods that fold k steps into one batch [k·B, ...]: each step's B rows are
/// normalised with their own statistics (and update the running statistics once each, in time order), then joined
/// back. With one step in the pass it is BatchNorm as it is.
/// </summary>
internal sealed class PerStepBatchNorm(BatchNorm norm) : LayerAdapter(norm)
{
    /// <summary>The adapter for <paramref name="layer"/> under <paramref name="statistics"/> (plain when folded).</summary>
    public static LayerAdapter For(Layer layer, BatchNormStatistics statistics) =>
        statistics == BatchNormStatistics.PerStep && layer is BatchNorm norm ? new PerStepBatchNorm(norm) : Plain(layer);

    public override Tensor Forward(Tensor x, Pass pass)
    {
        int batch = pass.BatchSize;
        if (batch <= 0 || x.Dim(0) <= batch) return Layer.Forward(x, pass);
        if (x.Dim(0) % batch != 0)
            throw new InvalidOperationException($"BatchNorm per step: {x.Dim(0)} rows are not whole steps of a batch of {batch}.");
        int steps = x.Dim(0) / batch;
        var outputs = new Tensor[steps];
        try
        {
            for (int t = 0; t < steps; t++)
            {
                using var step = x.Slice(t * batch, batch);
                outputs[t] = Layer.Forward(step, pass);
            }
            return Ops.Concat(outputs);
        }
        finally
        {
            foreach (var o in outputs) o?.Dispose();
        }
    }
}
