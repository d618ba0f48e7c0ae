using System.Diagnostics;
using IlgpuSnn.Hdf5.Nir;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Hdf5;

public sealed class NirTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    private static readonly NeuronSpec HardLif = NeuronSpec.Lif(0.75f, 1f, ResetMode.Hard);

    /// <summary>Conv → BN → LIF → AvgPool → Flatten → Linear → BN → IF → Linear, with non-trivial BatchNorm statistics.</summary>
    private SpikingNetwork ConvNet()
    {
        var net = SpikingNetwork.Build(D, [2, 8, 8], b => b
            .Conv2d(4, 3, padding: 1, bias: false).BatchNorm().Neuron(HardLif).AvgPool2d(2)
            .Flatten().Linear(16).BatchNorm().Neuron(NeuronSpec.If(0.8f, ResetMode.Hard)).Dropout(0.5f)
            .Linear(3), seed: 4);
        var rng = new Random(9);
        foreach (var bn in net.Layers.OfType<BatchNorm>())
        {
            float[] Draw(float lo, float hi) => Enumerable.Range(0, bn.Channels).Select(_ => lo + (hi - lo) * rng.NextSingle()).ToArray();
            bn.Gamma.CopyFrom(Draw(0.5f, 2f));
            bn.Beta.CopyFrom(Draw(-0.2f, 0.5f));
            bn.RunningMean.CopyFrom(Draw(-0.3f, 0.3f));
            bn.RunningVariance.CopyFrom(Draw(0.2f, 1.5f));
        }
        return net;
    }

    private Tensor Input(int t, int b, params int[] shape)
    {
        var rng = new Random(2);
        int n = t * b * shape.Aggregate(1, (x, y) => x * y);
        return Tensor.FromArray(D, Enumerable.Range(0, n).Select(_ => rng.NextSingle() * 1.5f).ToArray(), [t, b, .. shape]);
    }

    [Fact]
    public void The_lif_mapping_makes_one_euler_step_of_the_nir_equation_equal_the_discrete_update()
    {
        using var net = SpikingNetwork.Build(D, [2], b => b.Linear([[1f, 0f], [0f, 1f]]).Neuron(HardLif).Linear([[1f, 1f]]));
        const double dt = 1e-3;
        var graph = NirExport.FromNetwork(net, new NirOptions { Dt = dt });
        var lif = graph.Nodes["1"];
        Assert.Equal("LIF", lif.Type);
        // Hand-computed: λ = 0.75 → tau = dt / (1 − λ) = 4 ms, r = tau / dt = 4.
        Assert.All(lif["tau"].Data, v => Assert.Equal(4e-3, v, 1e-9));
        Assert.All(lif["r"].Data, v => Assert.Equal(4.0, v, 1e-6));
        Assert.All(lif["v_leak"].Data, v => Assert.Equal(0.0, v));
        Assert.All(lif["v_threshold"].Data, v => Assert.Equal(1.0, v, 1e-7));
        // NIR: tau·dv/dt = (v_leak − v) + r·I, one forward-Euler step of dt, against u ← λ·u + I.
        double tau = lif["tau"].Data[0], r = lif["r"].Data[0], leak = lif["v_leak"].Data[0];
        foreach (var (v, i) in new[] { (0.0, 0.3), (0.5, -0.2), (0.9, 0.05), (-0.4, 1.0) })
            Assert.Equal(0.75 * v + i, v + dt / tau * (leak - v + r * i), 1e-6);
        var ifNode = NirExport.FromNetwork(SpikingNetwork.Build(D, [2], b => b.Linear(2).Neuron(NeuronSpec.If(reset: ResetMode.Hard)).Linear(1)), new NirOptions { Dt = dt }).Nodes["1"];
        Assert.Equal("IF", ifNode.Type);
        Assert.All(ifNode["r"].Data, v => Assert.Equal(1 / dt, v, 1e-3)); // v ← v + dt·r·I = v + I
    }

    [Fact]
    public void A_network_written_to_a_nir_file_and_read_back_gives_the_same_outputs()
    {
        using var net = ConvNet();
        using var dir = new TempFolder();
        var path = dir.File("net.nir");
        NirFile.Write(path, NirExport.FromNetwork(net));
        var graph = NirFile.Read(path);
        Assert.Equal(["input", "0", "2", "3", "4", "5", "7", "9", "output"], Walk(graph));
        Assert.Equal("Affine", graph.Nodes["5"].Type); // Linear + folded BatchNorm (6); Dropout (8) left out
        using var back = NirImport.ToNetwork(graph, D);
        using var x = Input(5, 3, 2, 8, 8);
        using var expected = net.Forward(x);
        using var actual = back.Forward(x);
        var e = expected.ToArray();
        var a = actual.ToArray();
        Assert.Contains(e, v => Math.Abs(v) > 0.1f); // the read-out sees spikes
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4f * (1 + Math.Abs(e[i])), $"output {i}: {e[i]} vs {a[i]}");
    }

    [Fact]
    public void An_input_gain_other_than_one_is_folded_into_the_weights_before_the_neuron()
    {
        // r·dt/tau = 2: the neuron sees twice its input, so the imported Linear carries twice the weights.
        var graph = new NirGraph(new Dictionary<string, NirNode>
        {
            ["input"] = new("Input", new Dictionary<string, NirArray> { ["shape"] = NirArray.Integers(1) }),
            ["fc"] = new("Linear", new Dictionary<string, NirArray> { ["weight"] = NirArray.Floats([0.3f], 1, 1) }),
            ["lif"] = new("LIF", new Dictionary<string, NirArray>
            {
                ["tau"] = NirArray.Floats([2e-4f], 1), ["r"] = NirArray.Floats([4f], 1), ["v_leak"] = NirArray.Floats([0f], 1),
                ["v_threshold"] = NirArray.Floats([1f], 1), ["v_reset"] = NirArray.Floats([0f], 1),
            }),
            ["out"] = new("Linear", new Dictionary<string, NirArray> { ["weight"] = NirArray.Floats([1f], 1, 1) }),
            ["output"] = new("Output", new Dictionary<string, NirArray> { ["shape"] = NirArray.Integers(1) }),
        }, [("input", "fc"), ("fc", "lif"), ("lif", "out"), ("out", "output")]);
        using var net = NirImport.ToNetwork(graph, D);
        Assert.Equal([0.6f], ((Linear)net.Layers[0]).Weight.ToArray(), (x, y) => Math.Abs(x - y) < 1e-6f);
        var neuron = ((NeuronLayer)net.Layers[1]).Spec;
        Assert.Equal(0.5f, neuron.Decay, 1e-5f); // 1 − 1e-4 / 2e-4
        Assert.Equal(ResetMode.Hard, neuron.Reset);
        // Input 1 for 3 steps, current 0.6: u = 0.6, 0.9, 1.05 → spike at step 3 only.
        using var x = Tensor.FromArray(D, [1f, 1f, 1f], 3, 1, 1);
        using var y = net.Forward(x);
        Assert.Equal([0f, 0f, 1f], y.ToArray());
    }

    [Fact]
    public void Soft_reset_alif_and_max_pooling_are_refused_with_the_layer_named()
    {
        using var soft = SpikingNetwork.Build(D, [4], b => b.Linear(3).Lif(NeuronSpec.Lif()).Linear(2));
        Assert.Contains("layer 1 resets by subtracting the threshold", Assert.Throws<NotSupportedException>(() => NirExport.FromNetwork(soft)).Message);
        var allowed = NirExport.FromNetwork(soft, new NirOptions { AllowSoftReset = true });
        using var hard = NirImport.ToNetwork(allowed, D);
        Assert.Equal(ResetMode.Hard, ((NeuronLayer)hard.Layers[1]).Spec.Reset);
        using var alif = SpikingNetwork.Build(D, [4], b => b.Linear(3).Neuron(NeuronSpec.Alif(reset: ResetMode.Hard)).Linear(2));
        Assert.Contains("'alif' neuron", Assert.Throws<NotSupportedException>(() => NirExport.FromNetwork(alif)).Message);
        using var pool = SpikingNetwork.Build(D, [1, 4, 4], b => b.Conv2d(2, 3, padding: 1).Neuron(HardLif).MaxPool2d(2).Flatten().Linear(2));
        Assert.Contains("layer 2 (MaxPool2d)", Assert.Throws<NotSupportedException>(() => NirExport.FromNetwork(pool)).Message);
    }

    [Fact]
    public void A_recurrent_network_written_to_a_nir_file_and_read_back_gives_the_same_outputs()
    {
        using var net = SpikingNetwork.Build(D, [6], b => b.Linear(5).Recurrent(HardLif).Linear(4).Recurrent(NeuronSpec.If(0.9f, ResetMode.Hard)).Linear(3), seed: 8);
        foreach (var layer in net.Layers.OfType<NeuronLayer>())
            layer.Recurrent!.CopyFrom(Enumerable.Range(0, (int)layer.Recurrent.Length).Select(i => 0.9f * MathF.Sin(1.7f * i + 0.3f)).ToArray());
        using var dir = new TempFolder();
        var path = dir.File("rsnn.nir");
        NirFile.Write(path, NirExport.FromNetwork(net));
        var graph = NirFile.Read(path);
        Assert.Equal("Linear", graph.Nodes["1" + NirExport.RecurrentSuffix].Type);
        Assert.Contains(("1", "1" + NirExport.RecurrentSuffix), graph.Edges);
        Assert.Contains(("1" + NirExport.RecurrentSuffix, "1"), graph.Edges);
        Assert.Equal(["input", "0", "1", "2", "3", "4", "output"], Walk(graph));
        using var back = NirImport.ToNetwork(graph, D);
        Assert.All(back.Layers.OfType<NeuronLayer>(), l => Assert.NotNull(l.Recurrent));
        using var x = Input(8, 3, 6);
        using var expected = net.Forward(x);
        using var actual = back.Forward(x);
        var e = expected.ToArray();
        var a = actual.ToArray();
        Assert.Contains(e, v => Math.Abs(v) > 0.1f);
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4f * (1 + Math.Abs(e[i])), $"output {i}: {e[i]} vs {a[i]}");
    }

    /// <summary>
    /// An IF neuron (threshold 1, hard reset) with input weight 0.6 and a recurrent Linear of 0.5 in a cycle with it, input 1
    /// for four steps: u = 0.6, 1.2 (spike), 0.6 + 0.5 = 1.1 (spike), 1.1 (spike); without the loop the third step would
    /// stay at 0.6. The recurrent weight passes through the neuron's input gain r·dt as the input does.
    /// </summary>
    [Fact]
    public void A_linear_node_in_a_cycle_with_a_neuron_is_read_as_its_recurrent_weights()
    {
        NirGraph Graph(float r) => new(new Dictionary<string, NirNode>
        {
            ["input"] = new("Input", new Dictionary<string, NirArray> { ["shape"] = NirArray.Integers(1) }),
            ["fc"] = new("Linear", new Dictionary<string, NirArray> { ["weight"] = NirArray.Floats([0.6f / r], 1, 1) }),
            ["if"] = new("IF", new Dictionary<string, NirArray>
            {
                ["r"] = NirArray.Floats([r * 1000f], 1), ["v_threshold"] = NirArray.Floats([1f], 1), ["v_reset"] = NirArray.Floats([0f], 1),
            }),
            ["loop"] = new("Linear", new Dictionary<string, NirArray> { ["weight"] = NirArray.Floats([0.5f / r], 1, 1) }),
            ["out"] = new("Linear", new Dictionary<string, NirArray> { ["weight"] = NirArray.Floats([1f], 1, 1) }),
            ["output"] = new("Output", new Dictionary<string, NirArray> { ["shape"] = NirArray.Integers(1) }),
        }, [("input", "fc"), ("fc", "if"), ("if", "loop"), ("loop", "if"), ("if", "out"), ("out", "output")]);
        foreach (float r in new[] { 1f, 2f })
        {
            using var net = NirImport.ToNetwork(Graph(r), D, new NirOptions { Dt = 1e-3 });
            Assert.Equal([0.5f], ((NeuronLayer)net.Layers[1]).Recurrent!.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
            using var x = Tensor.FromArray(D, [1f, 1f, 1f, 1f], 4, 1, 1);
            using var y = net.Forward(x);
            Assert.Equal([0f, 1f, 1f, 1f], y.ToArray());
        }
    }

    /// <summary>
    /// The file checked by h5py against the layout the NIR reference reader (nir/serialization.py) expects: a version
    /// string, node/type = NIRGraph, node/edges [E, 2] of strings naming nodes, and per node type the datasets it reads,
    /// with consistent shapes.
    /// </summary>
    [Fact]
    public void The_file_has_the_layout_the_nir_reference_reader_expects()
    {
        H5py.Require();
        using var net = ConvNet();
        using var dir = new TempFolder();
        var path = dir.File("net.nir");
        NirFile.Write(path, NirExport.FromNetwork(net));
        var report = H5py.Run("""
            f = h5py.File(sys.argv[1], 'r')
            def s(d): v = d[()]; return v.decode() if isinstance(v, bytes) else str(v)
            assert isinstance(f['version'][()], bytes), 'version is not a string'
            g = f['node']
            assert s(g['type']) == 'NIRGraph'
            edges = [(a.decode(), b.decode()) for a, b in g['edges'][()]]
            nodes = g['nodes']
            assert all(a in nodes and b in nodes for a, b in edges), edges
            need = {'Input': ['shape'], 'Output': ['shape'], 'Affine': ['weight', 'bias'], 'Linear': ['weight'],
                    'Conv2d': ['weight', 'stride', 'padding', 'dilation', 'groups', 'bias'],
                    'AvgPool2d': ['kernel_size', 'stride', 'padding'], 'Flatten': ['start_dim', 'end_dim', 'input_type'],
                    'LIF': ['tau', 'r', 'v_leak', 'v_threshold', 'v_reset'], 'IF': ['r', 'v_threshold', 'v_reset']}
            types = {}
            for name, n in nodes.items():
                t = s(n['type']); types[name] = t
                missing = [k for k in need[t] if k not in n]
                assert not missing, (name, t, missing)
                if t == 'Affine': assert n['weight'].ndim == 2 and n['bias'].shape == (n['weight'].shape[0],)
                if t == 'Conv2d':
                    assert n['weight'].ndim == 4 and n['bias'].shape == (n['weight'].shape[0],)
                    assert n['stride'].shape == n['padding'].shape == n['dilation'].shape == (2,) and n['groups'].shape == ()
                if t in ('LIF', 'IF'):
                    shapes = {n[k].shape for k in need[t]}
                    assert len(shapes) == 1, (name, shapes)
                    assert n['v_threshold'].dtype.kind == 'f'
                if t == 'Flatten': assert n['start_dim'].shape == () and n['end_dim'].shape == ()
            # along the chain, each Affine's input size equals the flattened output of what feeds it
            print(len(edges), sorted(set(types.values())))
            """, path);
        Assert.Equal("8 ['Affine', 'AvgPool2d', 'Conv2d', 'Flatten', 'IF', 'Input', 'LIF', 'Output']", report.Trim());
    }

    [Fact]
    public void Bad_nir_files_are_refused_naming_the_file()
    {
        using var dir = new TempFolder();
        var text = dir.File("text.nir");
        File.WriteAllText(text, "not hdf5");
        Assert.StartsWith(text + ": not a readable NIR file", Assert.Throws<InvalidDataException>(() => NirFile.Read(text)).Message);
        using var net = ConvNet();
        var good = dir.File("good.nir");
        NirFile.Write(good, NirExport.FromNetwork(net));
        var bytes = File.ReadAllBytes(good);
        var mutant = dir.File("mutant.nir");
        var rng = new Random(7);
        var watch = Stopwatch.StartNew();
        int cases = 0, refused = 0;
        while (watch.Elapsed.TotalSeconds < 2 || cases < 30)
        {
            var b = (byte[])bytes.Clone();
            for (int k = 1 + rng.Next(4); k > 0; k--) b[rng.Next(b.Length)] = (byte)rng.Next(256);
            File.WriteAllBytes(mutant, rng.Next(6) == 0 ? b[..rng.Next(b.Length)] : b);
            cases++;
            try
            {
                NirFile.Read(mutant);
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith(mutant + ": ", e.Message);
                refused++;
            }
        }
        Assert.True(refused > 0, $"none of {cases} mutants was refused");
    }

    /// <summary>A node's array declared far larger than the file (chunked, never written) is refused before it is read.</summary>
    [Fact]
    public void An_array_declared_larger_than_the_file_is_refused_before_reading()
    {
        using var dir = new TempFolder();
        using var net = ConvNet();
        var path = dir.File("huge.nir");
        NirFile.Write(path, NirExport.FromNetwork(net));
        H5py.Run("""
            with h5py.File(sys.argv[1], 'a') as f:
                node = next(g for g in f['node/nodes'].values() if g['type'][()] in (b'Affine', 'Affine'))
                del node['weight']
                node.create_dataset('weight', (2**20, 2**12), dtype='float32', chunks=(1024, 64))
            """, path);
        var e = Assert.Throws<InvalidDataException>(() => NirFile.Read(path));
        Assert.StartsWith(path + ": '", e.Message);
        Assert.Contains("declares 4294967296 elements of 4 bytes", e.Message);
    }

    private static List<string> Walk(NirGraph graph)
    {
        var next = graph.Edges.Where(e => !e.To.EndsWith(NirExport.RecurrentSuffix, StringComparison.Ordinal)).ToDictionary(e => e.From, e => e.To);
        var order = new List<string> { "input" };
        while (next.TryGetValue(order[^1], out var n)) order.Add(n);
        return order;
    }
}
