using IlgpuSnn.Layers;

namespace IlgpuSnn.Training;

/// <summary>Gives every BatchNorm of a network one statistics reducer for the length of a run and takes it back at the end.</summary>
internal sealed class BatchNormSynchronization : IDisposable
{
    private readonly List<BatchNorm> norms;

    private BatchNormSynchronization(List<BatchNorm> norms) => this.norms = norms;

    /// <summary>Attaches <paramref name="reducer"/> (null: nothing is attached, each process uses its own batch).</summary>
    public static BatchNormSynchronization Attach(SpikingNetwork network, IBatchStatisticsReducer? reducer)
    {
        var norms = reducer is null ? [] : network.Layers.OfType<BatchNorm>().ToList();
        foreach (var norm in norms) norm.StatisticsReducer = reducer;
        return new BatchNormSynchronization(norms);
    }

    /// <summary>Detaches the reducer: later passes (a probe, another trainer) normalise with their own batch.</summary>
    public void Dispose()
    {
        foreach (var norm in norms) norm.StatisticsReducer = null;
    }
}
