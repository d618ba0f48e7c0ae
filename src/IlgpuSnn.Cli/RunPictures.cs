using IlgpuSnn.Data;
using IlgpuSnn.Diagnostics;
using IlgpuSnn.Layers;
using IlgpuSnn.Plotting;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Cli;

/// <summary>The pictures `snn train` leaves in its output folder: training curves, firing rate per layer over the epochs, and the spikes and membranes of the first test sample.</summary>
internal static class RunPictures
{
    public static IReadOnlyList<string> Write(string folder, SpikingNetwork network, IEncoder encoder, ImageDataset test, int timeSteps, float threshold)
    {
        var run = TrainingRun.Read(Path.Combine(folder, "metrics.json"));
        var written = new List<string>
        {
            SnnPlots.TrainingCurves([run], Path.Combine(folder, "curves.png")),
            SnnPlots.FiringRates(run, Path.Combine(folder, "firing-rates.png"), network.NeuronLayerIndices),
        };
        if (test.Count == 0) return written;
        IReadOnlyList<LayerTrace> traces;
        using (var scope = TensorScope.Begin())
        {
            var sample = Tensor.FromArray(network.Device, test.Images.AsSpan(0, test.SampleSize), 1, test.Channels, test.Height, test.Width);
            traces = NetworkProbe.Record(network, encoder.Encode(sample, timeSteps, 0));
        }
        foreach (var trace in traces)
        {
            written.Add(SnnPlots.SpikeRaster(trace, Path.Combine(folder, $"raster-layer{trace.LayerIndex}.png"),
                $"Spikes of layer {trace.LayerIndex}, first test sample (class {test.Labels[0]}), rate {trace.FiringRate:P1}"));
            var busiest = Enumerable.Range(0, trace.Neurons).OrderByDescending(n => trace.Spikes.Sum(s => s[n])).Take(3).ToArray();
            written.Add(SnnPlots.MembraneTraces(trace, busiest, Path.Combine(folder, $"membrane-layer{trace.LayerIndex}.png"), threshold));
        }
        return written;
    }
}
