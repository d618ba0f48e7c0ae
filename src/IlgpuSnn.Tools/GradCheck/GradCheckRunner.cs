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
        int steps = c.Inputs.Length, batch = c.Inputs[0].Length, width = c.Inputs[0][0].Length;
        using var network = SpikingNetwork.Build(device, [width], b =>
        {
            for (int i = 0; i < c.Layers.Length; i++)
            {
                var w = c.Layers[i];
                var bias = i < c.Biases.Length ? c.Biases[i] : null;
                b.Add(_ => new Linear(device, w, bias));
                if (i < c.BatchNorms.Length && c.BatchNorms[i] is { } bn)
                {
                    b.Add(_ =>
                    {
                        var norm = new BatchNorm(device, w.Length, 0.1f, bn.Eps);
                        norm.Gamma.CopyFrom(bn.Gamma);
                        norm.Beta.CopyFrom(bn.Beta);
                        return norm;
                    });
                }
                b.Lif(c.Neuron);
            }
            b.Add(_ => new Linear(device, c.Readout, c.ReadoutBias));
        });
        using var estimator = c.Estimator == "tt-lbptt"
            ? new TruncatedLocalBptt(c.Options.Window ?? steps, c.Options.Blocks, c.Options.PerWindowUpdate,
                (block, _, net) => [new Linear(net.Device, c.AuxHeads[block])]) { BatchNormStats = c.Options.BatchNormStats ?? BatchNormStatistics.Folded }
            : EstimatorFactory.Create(c.Estimator, c.Options);
        LossSupport.Require(estimator, c.Loss);
        estimator.Attach(network);
        var parameters = network.Parameters.Concat(estimator.ExtraParameters).ToList();
        var updates = new List<GradientSet>();
        var spikes = c.Layers.Select(w => Enumerable.Range(0, steps).Select(_ => new double[batch * w.Length]).ToArray()).ToArray();
        var neuronOrder = network.NeuronLayerIndices.ToList();

        using var scope = TensorScope.Begin();
        var input = Tensor.FromArray(device, c.Inputs.SelectMany(r => r.SelectMany(x => x)).ToArray(), steps, batch, width);
        bool labels = c.Criterion is Criterion.CrossEntropy or Criterion.CrossEntropyWithSquaredError;
        var target = labels
            ? Tensor.FromArray(device, c.Target.Select(y => (float)Array.IndexOf(y, 1f)).ToArray(), batch)
            : Tensor.FromArray(device, c.Target.SelectMany(y => y).ToArray(), batch, c.Target[0].Length);
        var loss = new SequenceLoss(c.Criterion, c.Loss, target, c.MseWeight);
        var result = estimator.Run(network, input, loss, new EstimatorContext
        {
            Update = () => updates.Add(Collect(network, estimator, parameters)),
            Training = true,
            OnSpikes = (layer, first, s) =>
            {
                var host = s.ToArray();
                int perStep = batch * (int)(host.Length / Math.Max(1, s.Dim(0)));
                var rows = spikes[neuronOrder.IndexOf(layer)];
                for (int k = 0; k < host.Length / perStep; k++)
                    for (int j = 0; j < perStep; j++) rows[first + k][j] = host[k * perStep + j];
            },
        });
        var total = Sum(updates);
        var norms = Norms(network);
        double[]?[] Read(Func<BatchNorm, Tensor> pick) => norms.Select(n => n is null ? null : pick(n).ToArray().Select(v => (double)v).ToArray()).ToArray();
        return new GradCheckResult(result.Loss, spikes, total, UpdatesInsideSequence(c) ? updates : null,
            c.Batched ? batch : 1, Read(n => n.RunningMean), Read(n => n.RunningVariance));
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
        var spikes = result.Batch == 1
            ? JsonSerializer.SerializeToNode(result.Spikes)
            : JsonSerializer.SerializeToNode(result.Spikes.Select(layer => layer.Select(row => row.Chunk(row.Length / result.Batch).ToArray()).ToArray()).ToArray());
        var root = new JsonObject
        {
            ["loss"] = result.Loss,
            ["spikes"] = spikes,
            ["grads"] = GradientsNode(result.Gradients),
            ["bn_running_mean"] = JsonSerializer.SerializeToNode(result.RunningMean ?? new double[]?[result.Spikes.Length]),
            ["bn_running_var"] = JsonSerializer.SerializeToNode(result.RunningVariance ?? new double[]?[result.Spikes.Length]),
        };
        if (result.StepGradients is { } steps) root["step_grads"] = new JsonArray(steps.Select(s => (JsonNode)GradientsNode(s)).ToArray());
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject GradientsNode(GradientSet g)
    {
        var none = new double[]?[g.Layers.Length];
        var node = new JsonObject
        {
            ["layers"] = JsonSerializer.SerializeToNode(g.Layers),
            ["biases"] = JsonSerializer.SerializeToNode(g.Biases ?? none),
            ["bn_gamma"] = JsonSerializer.SerializeToNode(g.BatchNormGamma ?? none),
            ["bn_beta"] = JsonSerializer.SerializeToNode(g.BatchNormBeta ?? none),
            ["readout"] = JsonSerializer.SerializeToNode(g.Readout),
        };
        if (g.ReadoutBias is { } rb) node["readout_bias"] = JsonSerializer.SerializeToNode(rb);
        if (g.AuxHeads.Count > 0)
            node["aux_heads"] = new JsonObject(g.AuxHeads.Select(p => KeyValuePair.Create(p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), JsonSerializer.SerializeToNode(p.Value))));
        return node;
    }

    /// <summary>Each spiking layer's BatchNorm (between its synapse and its neuron), or null.</summary>
    private static BatchNorm?[] Norms(SpikingNetwork network)
    {
        var norms = new List<BatchNorm?>();
        foreach (var layer in network.Layers)
        {
            if (layer is Linear) norms.Add(null);
            else if (layer is BatchNorm bn) norms[^1] = bn;
        }
        return [.. norms.Take(norms.Count - 1)];
    }

    private static GradientSet Collect(SpikingNetwork network, IGradientEstimator estimator, List<Tensor> parameters)
    {
        double[][] Matrix(Tensor w)
        {
            var data = w.Grad?.ToArray() ?? new float[w.Length];
            int rows = w.Dim(0), cols = w.Dim(1);
            return Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, cols).Select(k => (double)data[r * cols + k]).ToArray()).ToArray();
        }

        double[]? Vector(Tensor? v) => v is null ? null : (v.Grad?.ToArray() ?? new float[v.Length]).Select(x => (double)x).ToArray();

        var linears = network.Layers.OfType<Linear>().ToArray();
        var norms = Norms(network);
        var layers = linears.Select(l => Matrix(l.Weight)).ToArray();
        var biases = linears[..^1].Select(l => Vector(l.Bias)).ToArray();
        var gamma = norms.Select(n => Vector(n?.Gamma)).ToArray();
        var beta = norms.Select(n => Vector(n?.Beta)).ToArray();
        var readoutBias = Vector(linears[^1].Bias);
        var aux = new Dictionary<int, double[][]>();
        if (estimator is TruncatedLocalBptt tt)
            for (int b = 0; b < tt.Heads.Count; b++) aux[b] = Matrix(((Linear)tt.Heads[b][0]).Weight);
        foreach (var p in parameters) ZeroGradient(p);
        return new GradientSet(layers[..^1], layers[^1], aux, biases, gamma, beta, readoutBias);
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
        double[]? AddVector(double[]? a, double[]? b) => a is null || b is null ? a : a.Select((v, j) => v + b[j]).ToArray();
        double[]?[] AddVectors(double[]?[] a, double[]?[] b) => a.Select((v, i) => AddVector(v, b[i])).ToArray();
        var total = sets[0];
        foreach (var s in sets.Skip(1))
        {
            total = new GradientSet(
                total.Layers.Select((m, i) => Add(m, s.Layers[i])).ToArray(),
                Add(total.Readout, s.Readout),
                total.AuxHeads.ToDictionary(p => p.Key, p => Add(p.Value, s.AuxHeads[p.Key])),
                AddVectors(total.Biases!, s.Biases!), AddVectors(total.BatchNormGamma!, s.BatchNormGamma!),
                AddVectors(total.BatchNormBeta!, s.BatchNormBeta!), AddVector(total.ReadoutBias, s.ReadoutBias));
        }
        return total;
    }
}
