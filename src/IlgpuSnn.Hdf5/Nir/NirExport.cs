using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;

namespace IlgpuSnn.Hdf5.Nir;

/// <summary>
/// Turns a trained <see cref="SpikingNetwork"/> into a NIR graph as it runs at inference: Linear → Affine (Linear when it
/// has no bias), Conv2d → Conv2d, AvgPool2d → AvgPool2d, Flatten → Flatten (start_dim 0: NIR shapes have no batch axis),
/// LIF/PLIF → LIF and IF → IF with the mapping of <see cref="NirOptions.Dt"/>; a BatchNorm right after a Linear or
/// Conv2d is folded into it with its running statistics (w' = w·γ/√(σ² + ε), b' = (b − μ)·γ/√(σ² + ε) + β); Dropout is
/// the identity and is left out. Nodes are named by their layer index; the graph runs "input" → … → "output" as a chain,
/// except that a recurrent neuron layer adds a Linear node of its recurrent weights W_rec in a cycle with the neuron
/// (named with <see cref="RecurrentSuffix"/>): the current of step t is the input plus W_rec·s[t−1].
/// </summary>
public static class NirExport
{
    /// <summary>
    /// The name of a recurrent neuron layer's weight node is the neuron node's name with this suffix: a Linear node in a
    /// cycle with the neuron (edges neuron → it → neuron), as NIR draws recurrence.
    /// </summary>
    public const string RecurrentSuffix = ".recurrent";

    /// <summary>The graph of <paramref name="network"/>.</summary>
    /// <exception cref="NotSupportedException">A layer has no NIR primitive (MaxPool2d, ALIF, a lone BatchNorm), or soft reset without <see cref="NirOptions.AllowSoftReset"/>.</exception>
    public static NirGraph FromNetwork(SpikingNetwork network, NirOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new NirOptions();
        if (!(options.Dt > 0 && double.IsFinite(options.Dt))) throw new ArgumentException($"NirOptions.Dt must be positive, got {options.Dt}.");
        var nodes = new Dictionary<string, NirNode>(StringComparer.Ordinal) { ["input"] = Shape("Input", network.InputShape) };
        var edges = new List<(string, string)>();
        string previous = "input";
        var shape = network.InputShape;
        var layers = network.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var folded = i + 1 < layers.Count && layer is Linear or Conv2d ? layers[i + 1] as BatchNorm : null;
            NirNode? node = layer switch
            {
                Linear linear => Synapse(linear.Weight.ToArray(), linear.Bias?.ToArray(), linear.OutFeatures, folded,
                    (w, b) => b is null ? new NirNode("Linear", new Dictionary<string, NirArray> { ["weight"] = NirArray.Floats(w, linear.OutFeatures, linear.InFeatures) })
                        : new NirNode("Affine", new Dictionary<string, NirArray> { ["weight"] = NirArray.Floats(w, linear.OutFeatures, linear.InFeatures), ["bias"] = NirArray.Floats(b, linear.OutFeatures) })),
                Conv2d conv => Synapse(conv.Weight.ToArray(), conv.Bias?.ToArray(), conv.OutChannels, folded, (w, b) => Convolution(conv, shape, w, b)),
                NeuronLayer neurons => Neuron(neurons, shape, options, i),
                AvgPool2d pool => new NirNode("AvgPool2d", new Dictionary<string, NirArray>
                {
                    ["kernel_size"] = NirArray.Integers(pool.Kernel, pool.Kernel), ["stride"] = NirArray.Integers(pool.Stride, pool.Stride), ["padding"] = NirArray.Integers(0, 0),
                }),
                Flatten => new NirNode("Flatten", new Dictionary<string, NirArray>
                {
                    ["start_dim"] = NirArray.Scalar(0), ["end_dim"] = NirArray.Scalar(-1), ["input_type"] = NirArray.Integers([.. shape.Select(d => (long)d)]),
                }),
                Dropout => null,
                _ => throw new NotSupportedException($"NIR export: layer {i} ({layer.GetType().Name}) has no NIR primitive{(layer is BatchNorm ? " unless it follows a Linear or Conv2d, into which it is folded" : "")}."),
            };
            var name = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            shape = layer.OutputShape(shape);
            if (folded is not null) i++;
            if (node is null) continue;
            nodes[name] = node;
            edges.Add((previous, name));
            previous = name;
            if (layer is NeuronLayer { Recurrent: { } recurrent })
            {
                // The cycle neuron → Linear → neuron: the Linear carries the previous step's spikes into this step's current.
                int features = recurrent.Dim(0);
                var loop = name + RecurrentSuffix;
                nodes[loop] = new NirNode("Linear", new Dictionary<string, NirArray> { ["weight"] = NirArray.Floats(recurrent.ToArray(), features, features) });
                edges.Add((name, loop));
                edges.Add((loop, name));
            }
        }
        nodes["output"] = Shape("Output", shape);
        edges.Add((previous, "output"));
        return new NirGraph(nodes, edges);
    }

    private static NirNode Shape(string type, int[] shape) =>
        new(type, new Dictionary<string, NirArray> { ["shape"] = NirArray.Integers([.. shape.Select(d => (long)d)]) });

    /// <summary>The weights and bias of a synaptic layer [out, rest], with a following BatchNorm folded in.</summary>
    private static NirNode Synapse(float[] weight, float[]? bias, int outputs, BatchNorm? norm, Func<float[], float[]?, NirNode> make)
    {
        if (norm is null) return make(weight, bias);
        var gamma = norm.Gamma.ToArray();
        var beta = norm.Beta.ToArray();
        var mean = norm.RunningMean.ToArray();
        var variance = norm.RunningVariance.ToArray();
        int per = weight.Length / outputs;
        var w = new float[weight.Length];
        var b = new float[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double scale = gamma[o] / Math.Sqrt((double)variance[o] + norm.Eps);
            for (int k = 0; k < per; k++) w[o * per + k] = (float)(weight[o * per + k] * scale);
            b[o] = (float)(((bias?[o] ?? 0.0) - mean[o]) * scale + beta[o]);
        }
        return make(w, b);
    }

    private static NirNode Convolution(Conv2d conv, int[] inputShape, float[] weight, float[]? bias) =>
        new("Conv2d", new Dictionary<string, NirArray>
        {
            ["input_shape"] = NirArray.Integers(inputShape[1], inputShape[2]),
            ["weight"] = NirArray.Floats(weight, conv.OutChannels, conv.InChannels, conv.Kernel, conv.Kernel),
            ["bias"] = NirArray.Floats(bias ?? new float[conv.OutChannels], conv.OutChannels),
            ["stride"] = NirArray.Integers(conv.Stride, conv.Stride),
            ["padding"] = NirArray.Integers(conv.Padding, conv.Padding),
            ["dilation"] = NirArray.Integers(1, 1),
            ["groups"] = NirArray.Scalar(1),
        });

    private static NirNode Neuron(NeuronLayer layer, int[] shape, NirOptions options, int index)
    {
        var spec = layer.Spec;
        double decay = spec.Model.Name switch
        {
            "lif" => spec.Decay,
            "plif" => 1.0 / (1.0 + Math.Exp(-layer.Parameter!.ToArray()[0])),
            var other => throw new NotSupportedException($"NIR export: layer {index} uses the '{other}' neuron, which no NIR primitive describes (LIF, PLIF and IF export)."),
        };
        if (spec.Reset == ResetMode.Soft && !options.AllowSoftReset)
            throw new NotSupportedException($"NIR export: layer {index} resets by subtracting the threshold (soft reset), but NIR neurons reset to v_reset; " +
                "train with hard reset, or allow the export to change the reset (the file then behaves differently).");
        int count = shape.Aggregate(1, (a, b) => a * b);
        NirArray Fill(double value) => NirArray.Floats(Enumerable.Repeat((float)value, count).ToArray(), shape);
        if (decay >= 1.0)
            return new NirNode("IF", new Dictionary<string, NirArray>
            {
                ["r"] = Fill(1.0 / options.Dt), ["v_threshold"] = Fill(spec.Threshold), ["v_reset"] = Fill(0),
            });
        double tau = options.Dt / (1.0 - decay);
        return new NirNode("LIF", new Dictionary<string, NirArray>
        {
            ["tau"] = Fill(tau), ["r"] = Fill(tau / options.Dt), ["v_leak"] = Fill(0), ["v_threshold"] = Fill(spec.Threshold), ["v_reset"] = Fill(0),
        });
    }
}
