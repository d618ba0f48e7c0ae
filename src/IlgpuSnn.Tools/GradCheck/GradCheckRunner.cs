using System.Text.Json;
using System.Text.Json.Nodes;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Tools.GradCheck;

/// <summary>
/// Runs a <see cref="GradCheckCase"/>: builds the fully connected network at the given weights, drives the estimator over
/// the sequence and collects the loss, the spikes and the gradients at fixed weights (updates record and zero the
/// gradients instead of stepping an optimizer).
/// </summary>
public static class GradCheckRunner
{
    /// <summary>Estimators whose method updates inside the sequence (their step gradients are reported).</summary>
    public static bool UpdatesInsideSequence(GradCheckCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c.Estimator is "ottt-o" or "saf-e" || (c.Estimator == "tt-lbptt" && c.Options.PerWindowUpdate);
    }

    /// <summary>Runs the case on <paramref name="device"/>.</summary>
    public static GradCheckResult Run(Device device, GradCheckCase c)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(c);
        int steps = c.Inputs.Length, width = c.Inputs[0].Length;
        using var network = SpikingNetwork.Build(device, [width], b =>
        {
            foreach (var w in c.Layers) b.Linear(w).Lif(c.Neuron);
            b.Linear(c.Readout);
        });
        using var estimator = c.Estimator == "tt-lbptt"
            ? new TruncatedLocalBptt(c.Options.Window ?? steps, c.Options.Blocks, c.Options.PerWindowUpdate,
                (block, _, net) => [new Linear(net.Device, c.AuxHeads[block])])
            : EstimatorFactory.Create(c.Estimator, c.Options);
        estimator.Attach(network);
        var parameters = network.Parameters.Concat(estimator.ExtraParameters).ToList();
        var updates = new List<GradientSet>();
        var spikes = c.Layers.Select(w => Enumerable.Range(0, steps).Select(_ => new double[w.Length]).ToArray()).ToArray();
        var neuronOrder = network.NeuronLayerIndices.ToList();

        using var scope = TensorScope.Begin();
        var input = Tensor.FromArray(device, c.Inputs.SelectMany(r => r).ToArray(), steps, 1, width);
        var target = Tensor.FromArray(device, c.Target, 1, c.Target.Length);
        var loss = new SequenceLoss(Criterion.HalfSquaredError, c.Loss, target);
        var result = estimator.Run(network, input, loss, new EstimatorContext
        {
            Update = () => updates.Add(Collect(network, estimator, parameters)),
            Training = true,
            OnSpikes = (layer, first, s) =>
            {
                var host = s.ToArray();
                int n = host.Length / (int)Math.Max(1, s.Dim(0));
                var rows = spikes[neuronOrder.IndexOf(layer)];
                for (int k = 0; k < s.Dim(0); k++)
                    for (int j = 0; j < n; j++) rows[first + k][j] = host[k * n + j];
            },
        });
        var total = Sum(updates);
        return new GradCheckResult(result.Loss, spikes, total, UpdatesInsideSequence(c) ? updates : null);
    }

    /// <summary>The result as the JSON that <c>snn gradcheck</c> prints.</summary>
    /// <exception cref="ArithmeticException">The loss or a gradient is NaN or ∞ (JSON cannot hold it).</exception>
    public static string ToJson(GradCheckResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sets = new[] { result.Gradients }.Concat(result.StepGradients ?? []);
        var values = sets.SelectMany(g => g.Layers.SelectMany(m => m.SelectMany(r => r)).Concat(g.Readout.SelectMany(r => r)).Concat(g.AuxHeads.Values.SelectMany(m => m.SelectMany(r => r))));
        if (!double.IsFinite(result.Loss) || !values.All(double.IsFinite))
            throw new ArithmeticException($"gradcheck: the loss ({result.Loss}) or a gradient is not finite (float32 overflow); scale the inputs or weights down.");
        var root = new JsonObject
        {
            ["loss"] = result.Loss,
            ["spikes"] = JsonSerializer.SerializeToNode(result.Spikes),
            ["grads"] = GradientsNode(result.Gradients),
        };
        if (result.StepGradients is { } steps) root["step_grads"] = new JsonArray(steps.Select(s => (JsonNode)GradientsNode(s)).ToArray());
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject GradientsNode(GradientSet g)
    {
        var node = new JsonObject
        {
            ["layers"] = JsonSerializer.SerializeToNode(g.Layers),
            ["readout"] = JsonSerializer.SerializeToNode(g.Readout),
        };
        if (g.AuxHeads.Count > 0)
            node["aux_heads"] = new JsonObject(g.AuxHeads.Select(p => KeyValuePair.Create(p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), JsonSerializer.SerializeToNode(p.Value))));
        return node;
    }

    private static GradientSet Collect(SpikingNetwork network, IGradientEstimator estimator, List<Tensor> parameters)
    {
        double[][] Matrix(Tensor w)
        {
            var data = w.Grad?.ToArray() ?? new float[w.Length];
            int rows = w.Dim(0), cols = w.Dim(1);
            return Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, cols).Select(k => (double)data[r * cols + k]).ToArray()).ToArray();
        }

        var layers = network.Layers.OfType<Linear>().Select(l => Matrix(l.Weight)).ToArray();
        var aux = new Dictionary<int, double[][]>();
        if (estimator is TruncatedLocalBptt tt)
            for (int b = 0; b < tt.Heads.Count; b++) aux[b] = Matrix(((Linear)tt.Heads[b][0]).Weight);
        foreach (var p in parameters) ZeroGradient(p);
        return new GradientSet(layers[..^1], layers[^1], aux);
    }

    private static void ZeroGradient(Tensor p)
    {
        var g = p.Grad;
        if (g is null) return;
        Ops.FillInPlace(g, 0f);
    }

    private static GradientSet Sum(List<GradientSet> sets)
    {
        if (sets.Count == 0) throw new InvalidOperationException("gradcheck: the estimator never updated.");
        double[][] Add(double[][] a, double[][] b) => a.Select((r, i) => r.Select((v, j) => v + b[i][j]).ToArray()).ToArray();
        var total = sets[0];
        foreach (var s in sets.Skip(1))
        {
            total = new GradientSet(
                total.Layers.Select((m, i) => Add(m, s.Layers[i])).ToArray(),
                Add(total.Readout, s.Readout),
                total.AuxHeads.ToDictionary(p => p.Key, p => Add(p.Value, s.AuxHeads[p.Key])));
        }
        return total;
    }
}
