using System.Globalization;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Hdf5.Nir;

/// <summary>
/// Builds an IlgpuSnn network from a NIR graph that is a chain "input" → … → "output" of Affine, Linear, Conv2d
/// (square kernel, dilation 1, one group), AvgPool2d (no padding), Flatten, LIF and IF nodes, ending in an Affine or
/// Linear read-out; a LIF or IF node in a cycle with a Linear node (neuron → Linear → neuron, the Linear's only edges)
/// becomes a recurrent neuron layer with that Linear's weights (the previous step's spikes feed this step's current). Neurons are read back with the mapping of <see cref="NirOptions.Dt"/>: λ = 1 − dt/tau (IF: 1), and an
/// input gain r·dt/tau (IF: r·dt) other than 1 is multiplied into the weights and bias of the node before the neuron.
/// NIR neurons reset to v_reset, so they become hard-reset neurons; v_leak and v_reset must be 0 and every neuron of a
/// node must share its parameters.
/// </summary>
public static class NirImport
{
    /// <summary>The network described by <paramref name="graph"/>, on <paramref name="device"/>.</summary>
    /// <exception cref="NotSupportedException">The graph uses a node, topology or parameter this network cannot express; the message names the node.</exception>
    /// <exception cref="InvalidDataException">A node's arrays are inconsistent (shapes that do not fit).</exception>
    public static SpikingNetwork ToNetwork(NirGraph graph, Device device, NirOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(device);
        options ??= new NirOptions();
        var plans = new List<Plan>();
        var loops = Loops(graph);
        foreach (var name in Chain(graph, loops))
        {
            var node = graph.Nodes[name];
            plans.Add(node.Type switch
            {
                "Affine" or "Linear" => Dense(name, node),
                "Conv2d" => Convolution(name, node),
                "AvgPool2d" => Pool(name, node),
                "Flatten" => new Plan(name, b => b.Flatten()),
                "LIF" or "IF" => Neuron(name, node, options, plans.Count > 0 ? plans[^1] : null, loops.TryGetValue(name, out var loop) ? (loop, graph.Nodes[loop]) : null),
                var other => throw new NotSupportedException($"NIR import: node '{name}' is a {other}, which IlgpuSnn does not read (Affine, Linear, Conv2d, AvgPool2d, Flatten, LIF and IF are read)."),
            });
        }
        var inputShape = graph.Nodes["input"]["shape"].AsIntegers();
        SpikingNetwork network;
        try
        {
            network = SpikingNetwork.Build(device, inputShape, b => { foreach (var p in plans) p.Add(b); });
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"NIR import: the graph does not form an IlgpuSnn network ({e.Message})", e);
        }
        try
        {
            for (int i = 0; i < plans.Count; i++) plans[i].Load?.Invoke(network.Layers[i]);
            if (graph.Nodes["output"].Values.TryGetValue("shape", out var output) && !output.AsIntegers().SequenceEqual([network.Classes]))
                throw new InvalidDataException($"NIR import: the output node declares shape [{string.Join(", ", output.AsIntegers())}], the network gives [{network.Classes}].");
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>One layer to build: how the builder adds it, and how its weights are loaded afterwards.</summary>
    private sealed record Plan(string Name, Action<NetworkBuilder> Add, Action<Layer>? Load = null)
    {
        /// <summary>The weights and bias of a synaptic node, scaled by a following neuron's input gain.</summary>
        public float[]? Weight { get; init; }

        public float[]? Bias { get; init; }
    }

    /// <summary>
    /// The recurrent loops of the graph, by neuron node: a Linear node whose only incoming and only outgoing edge connect
    /// it to the same LIF or IF node (neuron → Linear → neuron) holds that neuron layer's recurrent weights.
    /// </summary>
    private static Dictionary<string, string> Loops(NirGraph graph)
    {
        var loops = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in graph.Nodes)
        {
            if (node.Type != "Linear") continue;
            var incoming = graph.Edges.Where(e => e.To == name).Select(e => e.From).ToList();
            var outgoing = graph.Edges.Where(e => e.From == name).Select(e => e.To).ToList();
            if (incoming.Count == 1 && outgoing.Count == 1 && incoming[0] == outgoing[0] && incoming[0] != name
                && graph.Nodes.TryGetValue(incoming[0], out var neuron) && neuron.Type is "LIF" or "IF" && !loops.ContainsKey(incoming[0]))
                loops[incoming[0]] = name;
        }
        return loops;
    }

    /// <summary>
    /// The node names from "input" to "output" (exclusive), following the only edge out of each node once the edges of
    /// the recurrent <paramref name="loops"/> are set aside.
    /// </summary>
    private static List<string> Chain(NirGraph graph, Dictionary<string, string> loops)
    {
        foreach (var required in (string[])["input", "output"])
            if (!graph.Nodes.ContainsKey(required)) throw new NotSupportedException($"NIR import: the graph has no '{required}' node.");
        var next = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (from, to) in graph.Edges)
            if (!(loops.TryGetValue(from, out var loop) && loop == to) && !(loops.TryGetValue(to, out var back) && back == from) && !next.TryAdd(from, to))
                throw new NotSupportedException($"NIR import: node '{from}' has more than one outgoing edge; only chains of nodes are read.");
        var chain = new List<string>();
        var at = "input";
        while (true)
        {
            if (!next.TryGetValue(at, out var following)) throw new NotSupportedException($"NIR import: node '{at}' has no outgoing edge before 'output'.");
            if (following == "output") break;
            if (chain.Contains(following) || chain.Count > graph.Nodes.Count) throw new NotSupportedException($"NIR import: the graph has a cycle through '{following}'.");
            chain.Add(following);
            at = following;
        }
        if (chain.Count + 2 + loops.Count(l => chain.Contains(l.Key)) != graph.Nodes.Count)
            throw new NotSupportedException($"NIR import: {graph.Nodes.Count - chain.Count - 2} node(s) lie off the chain from 'input' to 'output'.");
        return chain;
    }

    private static Plan Dense(string name, NirNode node)
    {
        var weight = node["weight"];
        if (weight.Shape.Length != 2) throw new InvalidDataException($"NIR import: node '{name}' has a weight of shape [{string.Join(", ", weight.Shape)}]; [out, in] was expected.");
        int outputs = weight.Shape[0], inputs = weight.Shape[1];
        float[]? bias = node.Type == "Affine" ? Vector(name, node["bias"], outputs, "bias") : null;
        Plan? plan = null;
        plan = new Plan(name, b => b.Linear(outputs, bias: bias is not null), layer =>
        {
            var linear = (Linear)layer;
            if (linear.InFeatures != inputs)
                throw new InvalidDataException($"NIR import: node '{name}' takes {inputs} inputs, but {linear.InFeatures} arrive.");
            linear.Weight.CopyFrom(plan!.Weight);
            if (plan.Bias is not null) linear.Bias!.CopyFrom(plan.Bias);
        })
        { Weight = weight.AsFloats(), Bias = bias };
        return plan;
    }

    private static Plan Convolution(string name, NirNode node)
    {
        var weight = node["weight"];
        if (weight.Shape.Length != 4 || weight.Shape[2] != weight.Shape[3])
            throw new NotSupportedException($"NIR import: node '{name}' has a weight of shape [{string.Join(", ", weight.Shape)}]; a square [out, in, k, k] kernel is read.");
        int stride = Pair(name, node, "stride"), padding = Pair(name, node, "padding");
        if (Pair(name, node, "dilation") != 1 || node["groups"].AsIntegers()[0] != 1)
            throw new NotSupportedException($"NIR import: node '{name}' uses dilation or groups other than 1.");
        int outputs = weight.Shape[0], inputs = weight.Shape[1], kernel = weight.Shape[2];
        var bias = node.Values.ContainsKey("bias") ? Vector(name, node["bias"], outputs, "bias") : null;
        Plan? plan = null;
        plan = new Plan(name, b => b.Conv2d(outputs, kernel, stride, padding, bias: bias is not null), layer =>
        {
            var conv = (Conv2d)layer;
            if (conv.InChannels != inputs)
                throw new InvalidDataException($"NIR import: node '{name}' takes {inputs} channels, but {conv.InChannels} arrive.");
            conv.Weight.CopyFrom(plan!.Weight);
            if (plan.Bias is not null) conv.Bias!.CopyFrom(plan.Bias);
        })
        { Weight = weight.AsFloats(), Bias = bias };
        return plan;
    }

    private static Plan Pool(string name, NirNode node)
    {
        int kernel = Pair(name, node, "kernel_size"), stride = Pair(name, node, "stride");
        if (Pair(name, node, "padding") != 0) throw new NotSupportedException($"NIR import: node '{name}' pads; padded pooling is not read.");
        return new Plan(name, b => b.AvgPool2d(kernel, stride));
    }

    private static Plan Neuron(string name, NirNode node, NirOptions options, Plan? previous, (string Name, NirNode Node)? loop)
    {
        double dt = options.Dt;
        double threshold = Uniform(name, node, "v_threshold");
        if (Uniform(name, node, "v_reset") != 0) throw new NotSupportedException($"NIR import: node '{name}' resets to a non-zero v_reset.");
        double decay, gain;
        if (node.Type == "IF")
        {
            decay = 1;
            gain = Uniform(name, node, "r") * dt;
        }
        else
        {
            double tau = Uniform(name, node, "tau");
            if (Uniform(name, node, "v_leak") != 0) throw new NotSupportedException($"NIR import: node '{name}' has a non-zero v_leak.");
            if (!(tau >= dt)) throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture, $"NIR import: node '{name}' has tau {tau} s, below the step dt = {dt} s (λ = 1 − dt/tau would be negative)."));
            decay = 1 - dt / tau;
            gain = Uniform(name, node, "r") * dt / tau;
        }
        if (Math.Abs(gain - 1) > 1e-6)
        {
            if (previous?.Weight is null)
                throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture, $"NIR import: node '{name}' scales its input by r·dt/tau = {gain}, and no Affine, Linear or Conv2d node before it can take that scale."));
            for (int i = 0; i < previous.Weight.Length; i++) previous.Weight[i] = (float)(previous.Weight[i] * gain);
            if (previous.Bias is not null) for (int i = 0; i < previous.Bias.Length; i++) previous.Bias[i] = (float)(previous.Bias[i] * gain);
        }
        var spec = NeuronSpec.Lif((float)decay, (float)threshold, ResetMode.Hard);
        if (loop is not { } recurrent) return new Plan(name, b => b.Neuron(spec));
        // The recurrent current enters the neuron like its input, through the same gain.
        var weight = recurrent.Node["weight"];
        if (weight.Shape.Length != 2 || weight.Shape[0] != weight.Shape[1])
            throw new InvalidDataException($"NIR import: the recurrent node '{recurrent.Name}' has a weight of shape [{string.Join(", ", weight.Shape)}]; a square [n, n] was expected.");
        var w = weight.AsFloats().Select(v => (float)(v * gain)).ToArray();
        return new Plan(name, b => b.Recurrent(spec), layer =>
        {
            var neurons = (NeuronLayer)layer;
            if (neurons.Recurrent!.Dim(0) != weight.Shape[0])
                throw new InvalidDataException($"NIR import: the recurrent node '{recurrent.Name}' is [{weight.Shape[0]}, {weight.Shape[1]}], but {neurons.Recurrent.Dim(0)} neurons arrive at '{name}'.");
            neurons.Recurrent.CopyFrom(w);
        });
    }

    private static float[] Vector(string name, NirArray array, int length, string what) =>
        array.Shape.Length == 1 && array.Shape[0] == length ? array.AsFloats()
            : throw new InvalidDataException($"NIR import: node '{name}' has a {what} of shape [{string.Join(", ", array.Shape)}]; [{length}] was expected.");

    /// <summary>A pair (h, w) of equal integers, or a single integer.</summary>
    private static int Pair(string name, NirNode node, string key)
    {
        var v = node[key].AsIntegers();
        return v.Length == 1 || (v.Length == 2 && v[0] == v[1]) ? v[0]
            : throw new NotSupportedException($"NIR import: node '{name}' has {key} [{string.Join(", ", v)}]; equal height and width are read.");
    }

    /// <summary>The one value every neuron of the node shares.</summary>
    private static double Uniform(string name, NirNode node, string key)
    {
        var data = node[key].Data;
        if (data.Length == 0) throw new InvalidDataException($"NIR import: node '{name}' has an empty {key}.");
        return data.All(v => v == data[0]) ? data[0]
            : throw new NotSupportedException($"NIR import: node '{name}' gives its neurons different {key} values; one value per layer is read.");
    }
}
