using IlgpuSnn.Training;
using IlgpuSnn.Diagnostics;
using ScottPlot;

namespace IlgpuSnn.Plotting;

/// <summary>PNG pictures of spiking networks and their training. Every method writes one file and returns its path.</summary>
public static class SnnPlots
{
    /// <summary>Spike raster of one layer for one sample: a dot at (step, neuron) for every spike (the first <paramref name="maxNeurons"/> neurons).</summary>
    public static string SpikeRaster(LayerTrace trace, string path, string? title = null, int maxNeurons = 256)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var plot = new Plot();
        var xs = new List<double>();
        var ys = new List<double>();
        for (int t = 0; t < trace.Spikes.Length; t++)
            for (int n = 0; n < Math.Min(trace.Neurons, maxNeurons); n++)
                if (trace.Spikes[t][n] > 0)
                {
                    xs.Add(t);
                    ys.Add(n);
                }
        var dots = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
        dots.MarkerSize = 4;
        dots.MarkerShape = MarkerShape.FilledSquare;
        plot.Axes.SetLimits(-0.5, trace.Spikes.Length - 0.5, -0.5, Math.Min(trace.Neurons, maxNeurons) - 0.5);
        plot.Title(title ?? $"Spikes of layer {trace.LayerIndex} (firing rate {trace.FiringRate:P1})");
        plot.XLabel("time step");
        plot.YLabel("neuron");
        return Save(plot, path, 800, 500);
    }

    /// <summary>Membrane potential of chosen neurons of one layer over the steps of one sample, with the threshold as a dashed line.</summary>
    public static string MembraneTraces(LayerTrace trace, IReadOnlyList<int> neurons, string path, double threshold = 1.0, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(neurons);
        var plot = new Plot();
        var steps = Enumerable.Range(0, trace.Membrane.Length).Select(t => (double)t).ToArray();
        foreach (int n in neurons)
        {
            if ((uint)n >= (uint)trace.Neurons)
                throw new ArgumentOutOfRangeException(nameof(neurons), $"MembraneTraces: neuron {n} is outside the layer's {trace.Neurons}.");
            var line = plot.Add.Scatter(steps, trace.Membrane.Select(m => (double)m[n]).ToArray());
            line.LegendText = $"neuron {n}";
        }
        var th = plot.Add.HorizontalLine(threshold);
        th.LinePattern = LinePattern.Dashed;
        th.LegendText = "threshold";
        plot.Title(title ?? $"Membrane potential, layer {trace.LayerIndex}");
        plot.XLabel("time step");
        plot.YLabel("membrane potential (after reset)");
        plot.ShowLegend();
        return Save(plot, path, 800, 500);
    }

    /// <summary>Firing rate of every spiking layer (one line each) against a step axis, e.g. epochs of training.</summary>
    public static string FiringRates(IReadOnlyDictionary<string, double[]> ratesPerLayer, string path, string xLabel = "epoch")
    {
        ArgumentNullException.ThrowIfNull(ratesPerLayer);
        var plot = new Plot();
        foreach (var (layer, rates) in ratesPerLayer)
        {
            var line = plot.Add.Scatter(Enumerable.Range(1, rates.Length).Select(i => (double)i).ToArray(), rates);
            line.LegendText = layer;
        }
        plot.Title("Firing rate per layer");
        double top = ratesPerLayer.Values.SelectMany(r => r).DefaultIfEmpty(0).Max();
        plot.Axes.SetLimitsY(0, top > 0 ? top * 1.15 : 1); // rates start at zero, so layers compare at a glance
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(Math.Max(1, ratesPerLayer.Values.Select(r => r.Length).DefaultIfEmpty(1).Max() / 10));
        plot.XLabel(xLabel);
        plot.YLabel("spikes per neuron and step");
        plot.ShowLegend();
        return Save(plot, path, 800, 500);
    }

    /// <summary>
    /// The firing rate of every spiking layer at the end of each epoch of <paramref name="run"/> (measured on the test
    /// set, <see cref="EpochMetrics.FiringRates"/>); layers are named by their position among the spiking layers.
    /// </summary>
    /// <exception cref="InvalidDataException">The run recorded no firing rates (metrics written before they were).</exception>
    public static string FiringRates(TrainingRun run, string path, IReadOnlyList<int>? layerIndices = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        int layers = run.History.Count == 0 ? 0 : run.History.Min(h => h.FiringRates.Count);
        if (layers == 0) throw new InvalidDataException($"{run.Label}: the metrics hold no firing rates per layer (written by an older snn train).");
        var series = Enumerable.Range(0, layers).ToDictionary(
            k => layerIndices is { } ix && k < ix.Count ? $"layer {ix[k]}" : $"spiking layer {k + 1}",
            k => run.History.Select(h => h.FiringRates[k]).ToArray());
        return FiringRates(series, path);
    }

    /// <summary>Loss (left) and accuracy (right) against the epoch, train dashed and test solid, one colour per run.</summary>
    public static string TrainingCurves(IReadOnlyList<TrainingRun> runs, string path)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var (loss, accuracy) = (multiplot.GetPlot(0), multiplot.GetPlot(1));
        var palette = new ScottPlot.Palettes.Category10();
        for (int r = 0; r < runs.Count; r++)
        {
            var h = runs[r].History;
            var epochs = h.Select(e => (double)e.Epoch).ToArray();
            var color = palette.GetColor(r);
            Line(loss, epochs, h.Select(e => e.TrainLoss), color, $"{runs[r].Label} train", dashed: true);
            Line(loss, epochs, h.Select(e => e.TestLoss), color, $"{runs[r].Label} test", dashed: false);
            Line(accuracy, epochs, h.Select(e => 100 * e.TrainAccuracy), color, $"{runs[r].Label} train", dashed: true);
            Line(accuracy, epochs, h.Select(e => 100 * e.TestAccuracy), color, $"{runs[r].Label} test", dashed: false);
        }
        loss.Title("Loss");
        loss.XLabel("epoch");
        accuracy.Title("Accuracy (%)");
        accuracy.XLabel("epoch");
        accuracy.ShowLegend(Alignment.LowerRight);
        Folder(path);
        multiplot.SavePng(path, 1200, 480);
        return path;
    }

    /// <summary>Working memory against the number of time steps T, one line per method.</summary>
    public static string MemoryVersusSteps(IReadOnlyDictionary<string, (int[] Steps, double[] MiB)> series, string path, string title = "Working memory of one iteration")
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        foreach (var (name, (steps, mib)) in series)
        {
            var line = plot.Add.Scatter(steps.Select(s => (double)s).ToArray(), mib);
            line.LegendText = name;
        }
        plot.Title(title);
        plot.XLabel("time steps T");
        plot.YLabel("MiB");
        plot.ShowLegend();
        return Save(plot, path, 800, 500);
    }

    /// <summary>
    /// The frames of one event sample side by side ([frames, 2, H, W] counts): ON − OFF per pixel, red = more ON,
    /// blue = more OFF.
    /// </summary>
    public static string EventFrameStrip(float[] frames, int frameCount, int height, int width, string path, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Length != frameCount * 2 * height * width)
            throw new ArgumentException($"EventFrameStrip: {frames.Length} values are not {frameCount} frames of 2x{height}x{width}.");
        const int gap = 2;
        var grid = new double[height, frameCount * (width + gap) - gap];
        for (int r = 0; r < height; r++)
            for (int c = 0; c < grid.GetLength(1); c++) grid[r, c] = double.NaN;
        double max = 1;
        for (int f = 0; f < frameCount; f++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    double on = frames[((f * 2 + 1) * height + y) * width + x], off = frames[((f * 2) * height + y) * width + x];
                    grid[y, f * (width + gap) + x] = on - off;
                    max = Math.Max(max, Math.Abs(on - off));
                }
        var plot = new Plot();
        var map = plot.Add.Heatmap(grid);
        map.Colormap = new ScottPlot.Colormaps.Balance();
        map.ManualRange = new ScottPlot.Range(-max, max);
        plot.Add.ColorBar(map);
        plot.Axes.Frameless();
        plot.HideGrid();
        plot.Title(title ?? $"{frameCount} event frames (ON − OFF)");
        return Save(plot, path, Math.Max(400, 60 + frameCount * (width + gap) * 6), 60 + height * 6 + 60);
    }

    private static void Line(Plot plot, double[] xs, IEnumerable<double> ys, Color color, string label, bool dashed)
    {
        var line = plot.Add.Scatter(xs, ys.ToArray());
        line.Color = color;
        line.LegendText = label;
        line.LinePattern = dashed ? LinePattern.Dashed : LinePattern.Solid;
    }

    private static string Save(Plot plot, string path, int width, int height)
    {
        Folder(path);
        plot.SavePng(path, width, height);
        return path;
    }

    private static void Folder(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
    }
}
