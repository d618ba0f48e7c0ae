namespace IlgpuSnn.Tests.Reference;

/// <summary>
/// The forward pass of a <see cref="NetworkCase"/> over the whole sequence on one tape, with the graph edges a method
/// keeps (spec §4, §5, §6, §9):
/// <list type="bullet">
/// <item>the carried state v[t−1] is a constant at every step t that starts a cut (every step for SLTT/OTTT, a window
/// start for TT-LBPTT, never for BPTT);</item>
/// <item>BatchNorm normalises over the steps of one group (one step, or all steps of a cut when folded);</item>
/// <item>spikes leaving a non-final block are constants for the next block; the block's auxiliary head reads them;</item>
/// <item>with traces (OTTT) every synaptic layer but the first (unless all-trace) takes its weight gradient from the
/// presynaptic trace â = λ·â + s (pooled and flattened like the spikes), its value and input gradient from the spikes.</item>
/// </list>
/// </summary>
internal sealed class UnrolledPass
{
    public UnrolledPass(NetworkCase c, NetworkGraph g, int cutEvery, int group, bool traces)
    {
        int T = c.Steps, B = c.Batch, L = c.Layers.Length;
        var tape = g.Tape;
        var neurons = Enumerable.Range(0, L).Where(i => c.Layers[i] is NetNeuron).ToArray();
        var blocks = c.Blocks ?? [Enumerable.Range(0, neurons.Length).ToArray()];
        // Neuron ordinal that ends a non-final block → that block's index (its auxiliary head).
        var blockEnds = blocks.SkipLast(1).Select((b, i) => (b[^1], i)).ToDictionary(p => p.Item1, p => p.i);
        RunningMean = c.Layers.Select(l => l is NetBatchNorm bn ? new double[bn.Gamma.Length] : null).ToArray();
        RunningVariance = c.Layers.Select(l => l is NetBatchNorm bn ? Enumerable.Repeat(1.0, bn.Gamma.Length).ToArray() : null).ToArray();
        Statistics = c.Layers.Select(_ => new List<(double[], double[])>()).ToArray();
        U = neurons.Select(_ => new double[T][][]).ToArray();
        S = neurons.Select(_ => new double[T][][]).ToArray();
        Logits = new int[T][][];
        AuxLogits = (c.AuxHeads ?? []).Select(_ => new int[T][][]).ToArray();

        var v = new int[L][][];        // carried post-reset potential per neuron layer [b][j]
        var trace = new double[L][][]; // presynaptic trace per neuron layer [b][j]
        double[][]? inputTrace = null; // x̂ for all-trace OTTT
        double firstDecay = ((NetNeuron)c.Layers[neurons[0]]).Decay;
        for (int start = 0; start < T; start += group)
        {
            int steps = Math.Min(group, T - start);
            var x = g.Constants(Enumerable.Range(start, steps).Select(t => c.Inputs[t]).ToArray());
            double[][][]? pre = null;
            if (traces && c.AllTrace)
            {
                pre = new double[steps][][];
                for (int k = 0; k < steps; k++)
                {
                    var xt = c.Inputs[start + k];
                    inputTrace = xt.Select((xb, b) => xb.Select((xv, j) => (inputTrace is null ? 0 : firstDecay * inputTrace[b][j]) + xv).ToArray()).ToArray();
                    pre[k] = inputTrace;
                }
            }
            var shape = c.InputShape;
            for (int li = 0; li < L; li++)
            {
                var layer = c.Layers[li];
                switch (layer)
                {
                    case NetConv or NetLinear:
                        x = g.Synapse(layer, shape, x, traces ? pre : null);
                        pre = null;
                        break;
                    case NetBatchNorm bn:
                        x = g.Normalise(bn, shape, x, RunningMean[li]!, RunningVariance[li]!, (m, s) => Statistics[li].Add((m, s)));
                        break;
                    case NetNeuron n:
                    {
                        int ordinal = Array.IndexOf(neurons, li);
                        var sg = ReferenceEstimators.Surrogate(n.Surrogate, n.Alpha);
                        var spikes = new int[steps][][];
                        var traceOut = traces ? new double[steps][][] : null;
                        for (int k = 0; k < steps; k++)
                        {
                            int t = start + k;
                            bool cut = t % cutEvery == 0;
                            spikes[k] = new int[B][];
                            U[ordinal][t] = new double[B][];
                            S[ordinal][t] = new double[B][];
                            v[li] ??= new int[B][];
                            for (int b = 0; b < B; b++)
                            {
                                int m = x[k][b].Length;
                                var s = new int[m];
                                var vNew = new int[m];
                                var potentials = new double[m];
                                for (int j = 0; j < m; j++)
                                {
                                    int z = x[k][b][j];
                                    int u = t == 0 ? z : tape.Add(tape.Scale(cut ? tape.StopGrad(v[li][b][j]) : v[li][b][j], n.Decay), z);
                                    potentials[j] = tape.Value(u);
                                    Margin = Math.Min(Margin, Math.Abs(potentials[j] - n.Threshold));
                                    s[j] = tape.Spike(u, n.Threshold, sg);
                                    int sr = n.DetachReset ? tape.StopGrad(s[j]) : s[j];
                                    vNew[j] = n.HardReset ? tape.Mul(u, tape.OneMinus(sr)) : tape.Sub(u, tape.Scale(sr, n.Threshold));
                                }
                                v[li][b] = vNew;
                                spikes[k][b] = s;
                                U[ordinal][t][b] = potentials;
                                S[ordinal][t][b] = s.Select(tape.Value).ToArray();
                                if (traces)
                                {
                                    var previous = trace[li]?[b];
                                    trace[li] ??= new double[B][];
                                    trace[li][b] = S[ordinal][t][b].Select((sv, j) => (previous is null ? 0 : n.Decay * previous[j]) + sv).ToArray();
                                }
                            }
                            if (traceOut is not null) traceOut[k] = trace[li].Select(r => (double[])r.Clone()).ToArray();
                        }
                        x = spikes;
                        pre = traceOut;
                        if (blockEnds.TryGetValue(ordinal, out int head))
                        {
                            var a = RunHead(c, g, c.AuxHeads![head], NetworkGraph.OutputShape(layer, shape), x);
                            for (int k = 0; k < steps; k++) AuxLogits[head][start + k] = a[k];
                            x = x.Select(sk => sk.Select(sb => sb.Select(tape.StopGrad).ToArray()).ToArray()).ToArray();
                        }
                        break;
                    }
                    default:
                        x = g.Reshape(layer, shape, x);
                        if (pre is not null) pre = NetworkGraph.Reshape(layer, shape, pre);
                        break;
                }
                shape = NetworkGraph.OutputShape(layer, shape);
            }
            for (int k = 0; k < steps; k++) Logits[start + k] = x[k];
        }
    }

    private static int[][][] RunHead(NetworkCase c, NetworkGraph g, NetLayer[] head, int[] shape, int[][][] x)
    {
        foreach (var layer in head)
        {
            x = layer is NetConv or NetLinear ? g.Synapse(layer, shape, x, null) : g.Reshape(layer, shape, x);
            shape = NetworkGraph.OutputShape(layer, shape);
        }
        return x;
    }

    /// <summary>Read-out logits [t][b][class].</summary>
    public int[][][] Logits { get; }

    /// <summary>Auxiliary heads' logits [head][t][b][class].</summary>
    public int[][][][] AuxLogits { get; }

    /// <summary>Pre-reset potentials [neuron layer][t][b][j].</summary>
    public double[][][][] U { get; }

    /// <summary>Spikes [neuron layer][t][b][j].</summary>
    public double[][][][] S { get; }

    /// <summary>Batch mean and biased variance of every BatchNorm call, by layer index.</summary>
    public List<(double[] Mean, double[] Variance)>[] Statistics { get; }

    public double[]?[] RunningMean { get; }

    public double[]?[] RunningVariance { get; }

    public double Margin { get; private set; } = double.MaxValue;
}
