namespace IlgpuSnn.Tests.Reference;

/// <summary>
/// SAF (spec §8, docs/estimators.md "Choices") by autodiff through the accumulation forward, one step's graph at a time:
/// <list type="bullet">
/// <item>input x̂[t] = λ·x̂[t−1] + x[t]; each neuron layer u[t] = Z[t] − λ·Vth·â[t−1], s = H(u − Vth),
/// â[t] = λ·â[t−1] + s, with â[t−1] a constant;</item>
/// <item>between neurons a bias-free convolution, linear or pooling layer acts on the accumulation as it is; an affine
/// layer (bias) or BatchNorm acts at the scale of one step, N[t]·Op(A/N[t]) with N[t] = Σ_{k&lt;t} λ^k (so a bias
/// accumulates, and BatchNorm normalises — and updates its running statistics — per step on A/N[t]);</item>
/// <item>SAF-E: at every step, the per-step loss of o[t] = Wo·â_L[t] + b − λ·Wo·â_L[t−1] (the last term a constant),
/// one update per step; SAF-F: no graph until t = T, then one backward of ℓ(Wo·â_L[T]/N_T + b) (batch mean).</item>
/// </list>
/// The loss reported is the network's per-step loss of o[t].
/// </summary>
internal static class SafReference
{
    public static NetworkResult Run(NetworkCase c)
    {
        if (c.Folded || c.MeanOutput) throw new ArgumentException("reference: SAF normalises per step and trains on the per-step loss");
        var neurons = c.Layers.OfType<NetNeuron>().ToArray();
        double lambda = neurons[0].Decay;
        if (neurons.Any(n => n.Decay != lambda || n.HardReset)) throw new ArgumentException("reference: SAF needs one λ and soft reset");
        bool final = c.Estimator == "saf-f";
        int T = c.Steps, B = c.Batch, L = c.Layers.Length;
        var g = new NetworkGraph(c);
        var tape = g.Tape;
        var readout = (NetLinear)c.Layers[^1];
        var result = new NetworkResult
        {
            RunningMean = c.Layers.Select(l => l is NetBatchNorm bn ? new double[bn.Gamma.Length] : null).ToArray(),
            RunningVariance = c.Layers.Select(l => l is NetBatchNorm bn ? Enumerable.Repeat(1.0, bn.Gamma.Length).ToArray() : null).ToArray(),
            Spikes = neurons.Select(_ => new double[T][][]).ToArray(),
        };
        var accumulated = new double[L][][];
        double[][]? inputAccumulation = null;
        double[][]? previousReadout = null; // Wo·â_L[t−1], no bias
        var logitValues = new double[T][][];
        var seeds = new List<(int Step, int Node, double Seed)>();
        double n = 0;
        for (int t = 0; t < T; t++)
        {
            n = 1 + lambda * n;
            inputAccumulation = c.Inputs[t].Select((xb, b) => xb.Select((v, j) => (inputAccumulation is null ? 0 : lambda * inputAccumulation[b][j]) + v).ToArray()).ToArray();
            var x = g.Constants([inputAccumulation]);
            var shape = c.InputShape;
            int ordinal = 0;
            for (int li = 0; li < L - 1; li++)
            {
                var layer = c.Layers[li];
                switch (layer)
                {
                    case NetConv or NetLinear:
                        x = g.Synapse(layer, shape, x, null, biasScale: n);
                        break;
                    case NetBatchNorm bn:
                    {
                        var perStep = x.Select(k => k.Select(xb => xb.Select(v => tape.Scale(v, 1 / n)).ToArray()).ToArray()).ToArray();
                        var y = g.Normalise(bn, shape, perStep, result.RunningMean[li]!, result.RunningVariance[li]!);
                        x = y.Select(k => k.Select(yb => yb.Select(v => tape.Scale(v, n)).ToArray()).ToArray()).ToArray();
                        break;
                    }
                    case NetNeuron neuron:
                    {
                        var sg = ReferenceEstimators.Surrogate(neuron.Surrogate, neuron.Alpha);
                        var previous = accumulated[li];
                        accumulated[li] = new double[B][];
                        result.Spikes[ordinal][t] = new double[B][];
                        for (int b = 0; b < B; b++)
                        {
                            var row = x[0][b];
                            var a = new int[row.Length];
                            accumulated[li][b] = new double[row.Length];
                            result.Spikes[ordinal][t][b] = new double[row.Length];
                            for (int j = 0; j < row.Length; j++)
                            {
                                double before = previous is null ? 0 : previous[b][j];
                                int u = tape.Node(tape.Value(row[j]) - lambda * neuron.Threshold * before, [row[j]], [1.0]);
                                result.Margin = Math.Min(result.Margin, Math.Abs(tape.Value(u) - neuron.Threshold));
                                int s = tape.Spike(u, neuron.Threshold, sg);
                                a[j] = tape.Node(lambda * before + tape.Value(s), [s], [1.0]);
                                accumulated[li][b][j] = tape.Value(a[j]);
                                result.Spikes[ordinal][t][b][j] = tape.Value(s);
                            }
                            x[0][b] = a;
                        }
                        ordinal++;
                        break;
                    }
                    default:
                        x = g.Reshape(layer, shape, x);
                        break;
                }
                shape = NetworkGraph.OutputShape(layer, shape);
            }

            // Read-out on the accumulation: o[t] = Wo·â_L[t] + b − λ·Wo·â_L[t−1].
            var withBias = g.Synapse(readout, shape, x, null)[0];
            var current = x[0].Select(ab => Enumerable.Range(0, readout.Out).Select(j =>
                Enumerable.Range(0, readout.In).Sum(i => readout.Weight[j * readout.In + i] * tape.Value(ab[i]))).ToArray()).ToArray();
            var o = withBias.Select((ob, b) => ob.Select((node, j) =>
                tape.Node(tape.Value(node) - (previousReadout is null ? 0 : lambda * previousReadout[b][j]), [node], [1.0])).ToArray()).ToArray();
            logitValues[t] = o.Select(ob => ob.Select(tape.Value).ToArray()).ToArray();
            var stepSeeds = final ? [] : seeds;
            result.Loss += NetworkReference.StepLoss(c, t, o, logitValues[t], 1.0 / T, stepSeeds);
            if (final && t == T - 1)
            {
                // ℓ(Wo·â_L[T]/N_T + b): the bias scaled by N_T, then the whole read-out by 1/N_T.
                var f = g.Synapse(readout, shape, x, null, biasScale: n)[0].Select(ob => ob.Select(node => tape.Scale(node, 1 / n)).ToArray()).ToArray();
                NetworkReference.StepLoss(c, t, f, f.Select(fb => fb.Select(tape.Value).ToArray()).ToArray(), 1.0, seeds);
            }
            previousReadout = current;
        }

        var updates = final ? [Enumerable.Range(0, T).ToArray()] : Enumerable.Range(0, T).Select(t => new[] { t }).ToList();
        foreach (var steps in updates)
            result.Updates.Add(g.Gradients(tape.Backward(seeds.Where(s => steps.Contains(s.Step)).Select(s => (s.Node, s.Seed)))));
        result.Gradients = NetworkReference.Sum(result.Updates);
        return result;
    }
}
