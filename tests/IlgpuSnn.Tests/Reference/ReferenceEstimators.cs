// Independent double-precision reference of the gradient estimators of /work/shared/design/estimators.md
// (sections 1-9) for a tiny fully connected SNN, batch of one. Pure C#, no library types.
//
// Routes:
//   bptt, sltt, sltt-k, tt-lbptt : scalar reverse-mode autodiff (ScalarTape) over the graph each estimator keeps.
//   ottt-a, ottt-o               : closed form (SLTT-style per-step error signal × presynaptic trace), no tape.
//   saf-e, saf-f                 : autodiff through the SAF accumulation forward (§8.1), one tape per step.
//   ratebp                       : closed form of §7 (spike pass r / elig, rate pass δ).
//
// CHOICES where the spec leaves room (reported to the lead):
//  1. SAF-F (§8.2 "a single backward at t = T on the final accumulation (loss on a[T])"): the loss is put on the
//     normalised final accumulation of the read-out,  Ō_F = Wo·â_L[T] / N_T,  N_T = Σ_{k=0}^{T−1} λ^k
//     (= T for IF, λ = 1, where it is exactly the mean-output ō; = 1 for λ = 0),  L_F = ½‖Ō_F − y‖²,
//     whatever `Loss` says. One backward through the step-T SAF graph with â^l[T−1] constant:
//     ∂L_F/∂W^l = g_u^l[T] ⊗ â^{l−1}[T] (â^0 = x̂), ∂L_F/∂Wo = ∂L_F/∂O[T] ⊗ â_L[T]. Result.ObjectiveLoss = L_F;
//     Result.Loss is still the network loss per `Loss`. No step grads (single update at t = T).
//  2. SAF-E: the all-trace OTTT per-step pieces computed by autodiff through the SAF graph (read-out on the
//     accumulation, o[t] = O[t] − λ·O[t−1] with O[t−1] constant); x̂ is always used for layer 1 (AllTrace ignored,
//     the SAF forward identity needs it). SAF requires soft reset (hard reset → NotSupportedException);
//     DetachReset is irrelevant for SAF (the reset is inside the constant â[t−1]).
//  3. Loss form for the per-step / truncated estimators: every estimator seeds o[t] with ∂L/∂o[t] of the FULL loss
//     named by `Loss` (for "per-step" this is exactly the per-step / per-segment (1/T)·ℓ_t of the spec; for
//     "mean-output" it is ∂L/∂o[t] = (1/T)(ō − y), i.e. the gradient at fixed weights through the kept graph).
//  4. TT-LBPTT aux heads: head b reads block b's output spikes, o_b[t] = W_aux·s_b[t], with the same loss form and
//     the same target; its loss L_b is added to the objective; block b's layers and its head get gradients only
//     from L_b (spikes leaving a block are detached), the last block from the read-out loss. A block b < last
//     without a head gets zero gradients. An aux head on the last block is rejected. Blocks must be contiguous
//     and cover layers 0..L−1 in order.
//  5. TT-LBPTT windows: S_j = {(j−1)k+1 … min(jk,T)}; at each window start the whole carried state v[t−1]
//     (post-reset potential, which holds u and s) is detached. "per-window": StepGrads = one entry per window
//     (seeds of that window only); grads = their sum (at fixed weights).
//  6. RateBP: δ^o = Σ_t ∂L/∂o[t] (equals ∂L/∂ō for mean-output and also (ō − y) for per-step MSE). The
//     eligibility uses the case's surrogate (the official code hard-codes sigmoid α = 4), and the not-detached
//     soft-reset recursion uses the general ε = λ(1 − Vth·sg) (the official code assumes Vth = 1).
//     Hard reset: ε = λ(1 − s) − λ·u·sg, or λ(1 − s) when detached.
//  7. OTTT ignores DetachReset (temporal edges are cut anyway); hard reset only changes the forward.
// NOTE: the SAF forward (u = W·â^{l−1}[t] − λ·Vth·â^l[t−1]) equals the LIF forward in exact arithmetic only; at an
//  exact tie u = Vth the two summation orders can round to different sides (Test 2 at λ = 1 does this), so compare
//  SAF against LIF spikes on cases without ties.
namespace IlgpuSnn.Tests.Reference;

/// <summary>Double-precision reference estimators (independent of the library).</summary>
public static class ReferenceEstimators
{
    /// <summary>Runs the estimator named by <paramref name="c"/>.</summary>
    public static ReferenceResult Run(ReferenceCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var net = new Net(c);
        int T = net.T;
        switch (c.Estimator)
        {
            case "bptt":
                return Unrolled(net, _ => false, OneBlock(net), null, AllSteps(T), null);
            case "sltt":
                return Unrolled(net, t => t > 0, OneBlock(net), null, AllSteps(T), null);
            case "sltt-k":
            {
                var kset = c.KSet ?? throw new ArgumentException("sltt-k needs KSet");
                var seeded = new bool[T];
                foreach (int k in kset)
                {
                    if (k < 1 || k > T) throw new ArgumentException($"KSet entry {k} outside 1..{T}");
                    if (seeded[k - 1]) throw new ArgumentException($"KSet entry {k} repeated");
                    seeded[k - 1] = true;
                }
                return Unrolled(net, t => t > 0, OneBlock(net), null, seeded, null);
            }
            case "tt-lbptt":
            {
                int k = c.Window <= 0 ? T : c.Window;
                var blocks = c.Blocks ?? OneBlock(net);
                ValidateBlocks(net, blocks);
                var aux = c.AuxHeads ?? [];
                foreach (var (b, w) in aux)
                {
                    if (b < 0 || b >= blocks.Length - 1)
                        throw new ArgumentException($"aux head on block {b}: only blocks 0..{blocks.Length - 2} may have one");
                    int nIn = net.Sizes[blocks[b][^1] + 1];
                    CheckMatrix(w, net.Outputs, nIn, $"aux head {b}");
                }
                List<int[]>? pieces = null;
                if (c.Update == "per-window")
                {
                    pieces = [];
                    for (int s = 0; s < T; s += k) pieces.Add(Enumerable.Range(s, Math.Min(k, T - s)).ToArray());
                }
                else if (c.Update != "accumulated") throw new ArgumentException($"unknown update '{c.Update}'");
                return Unrolled(net, t => t > 0 && t % k == 0, blocks, aux, AllSteps(T), pieces);
            }
            case "ottt-a":
                return Ottt(net, c.AllTrace, false);
            case "ottt-o":
                return Ottt(net, c.AllTrace, true);
            case "saf-e":
                return Saf(net, final: false);
            case "saf-f":
                return Saf(net, final: true);
            case "ratebp":
                return RateBp(net, c.OfficialScale);
            default:
                throw new ArgumentException($"unknown estimator '{c.Estimator}'");
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Network description, surrogate, loss

    private sealed class Net
    {
        public readonly ReferenceCase C;
        public readonly int T;
        public readonly int L;
        public readonly int Outputs;
        /// <summary>Sizes[0] = n0, Sizes[l+1] = neurons of layer l.</summary>
        public readonly int[] Sizes;
        public readonly double Lambda;
        public readonly double Vth;
        public readonly bool Hard;
        public readonly Func<double, double> Sg;

        public Net(ReferenceCase c)
        {
            C = c;
            T = c.Inputs.Length;
            if (T < 1) throw new ArgumentException("need at least one time step");
            L = c.Layers.Length;
            if (L < 1) throw new ArgumentException("need at least one layer");
            Sizes = new int[L + 1];
            Sizes[0] = c.Inputs[0].Length;
            foreach (var x in c.Inputs)
                if (x.Length != Sizes[0]) throw new ArgumentException("input rows differ in length");
            for (int l = 0; l < L; l++)
            {
                Sizes[l + 1] = c.Layers[l].Length;
                CheckMatrix(c.Layers[l], Sizes[l + 1], Sizes[l], $"layer {l}");
            }
            Outputs = c.Readout.Length;
            CheckMatrix(c.Readout, Outputs, Sizes[L], "read-out");
            if (c.Target.Length != Outputs) throw new ArgumentException("target length != read-out outputs");
            if (c.Loss is not ("per-step" or "mean-output")) throw new ArgumentException($"unknown loss '{c.Loss}'");
            Hard = c.Reset switch
            {
                "soft" => false,
                "hard" => true,
                _ => throw new ArgumentException($"unknown reset '{c.Reset}'"),
            };
            Lambda = c.Decay;
            Vth = c.Threshold;
            Sg = Surrogate(c.Surrogate, c.Alpha);
        }
    }

    private static void CheckMatrix(double[][] m, int rows, int cols, string what)
    {
        if (m.Length != rows) throw new ArgumentException($"{what}: {m.Length} rows, expected {rows}");
        foreach (var r in m)
            if (r.Length != cols) throw new ArgumentException($"{what}: row of {r.Length}, expected {cols}");
    }

    /// <summary>σ'(z) of the named surrogate.</summary>
    public static Func<double, double> Surrogate(string name, double? alpha)
    {
        switch (name)
        {
            case "sigmoid":
            {
                double a = alpha ?? 4.0;
                return z =>
                {
                    double sig = 1.0 / (1.0 + Math.Exp(-a * z));
                    return a * sig * (1.0 - sig);
                };
            }
            case "triangle":
            {
                double a = alpha ?? 1.0;
                return z => Math.Max(0.0, a - a * a * Math.Abs(z));
            }
            case "rectangle":
            {
                double a = alpha ?? 1.0;
                return z => Math.Abs(z) <= a / 2 ? 1.0 / a : 0.0;
            }
            case "atan":
            {
                double a = alpha ?? 2.0;
                return z =>
                {
                    double q = Math.PI / 2 * a * z;
                    return a / (2.0 * (1.0 + q * q));
                };
            }
            default:
                throw new ArgumentException($"unknown surrogate '{name}'");
        }
    }

    private static double LossValue(double[][] o, double[] y, string form)
    {
        int T = o.Length;
        double l = 0;
        if (form == "per-step")
        {
            foreach (var ot in o)
                for (int k = 0; k < y.Length; k++) l += 0.5 * (ot[k] - y[k]) * (ot[k] - y[k]);
            return l / T;
        }
        for (int k = 0; k < y.Length; k++)
        {
            double m = 0;
            foreach (var ot in o) m += ot[k];
            m /= T;
            l += 0.5 * (m - y[k]) * (m - y[k]);
        }
        return l;
    }

    /// <summary>∂L/∂o[t] [t][k] of the full loss.</summary>
    private static double[][] LossGrad(double[][] o, double[] y, string form)
    {
        int T = o.Length;
        var g = new double[T][];
        if (form == "per-step")
        {
            for (int t = 0; t < T; t++) g[t] = o[t].Select((v, k) => (v - y[k]) / T).ToArray();
            return g;
        }
        var mean = new double[y.Length];
        foreach (var ot in o)
            for (int k = 0; k < y.Length; k++) mean[k] += ot[k] / T;
        for (int t = 0; t < T; t++) g[t] = mean.Select((m, k) => (m - y[k]) / T).ToArray();
        return g;
    }

    private static int[][] OneBlock(Net n) => [Enumerable.Range(0, n.L).ToArray()];

    private static bool[] AllSteps(int T) => Enumerable.Repeat(true, T).ToArray();

    private static void ValidateBlocks(Net n, int[][] blocks)
    {
        int next = 0;
        foreach (var b in blocks)
        {
            if (b.Length == 0) throw new ArgumentException("empty block");
            foreach (int l in b)
            {
                if (l != next) throw new ArgumentException("blocks must be contiguous 0-based layer lists in order");
                next++;
            }
        }
        if (next != n.L) throw new ArgumentException("blocks must cover every layer");
    }

    private static double[][] Zeros(int r, int c) => Enumerable.Range(0, r).Select(_ => new double[c]).ToArray();

    private static double[][][] LayerZeros(Net n) =>
        Enumerable.Range(0, n.L).Select(l => Zeros(n.Sizes[l + 1], n.Sizes[l])).ToArray();

    private static void AddOuter(double[][] acc, double[] a, double[] b, double scale = 1.0)
    {
        for (int i = 0; i < a.Length; i++)
            for (int j = 0; j < b.Length; j++) acc[i][j] += scale * a[i] * b[j];
    }

    // ------------------------------------------------------------------------------------------------
    // Plain forward (no graph): u, s, o and the traces.

    private sealed class Fwd
    {
        public double[][][] U = [];   // [l][t][n]
        public double[][][] S = [];   // [l][t][n]
        public double[][] O = [];     // [t][k]
        public double[][] Xhat = [];  // [t][n0]
        public double[][][] Ahat = []; // [l][t][n]
    }

    private static Fwd Forward(Net n)
    {
        var c = n.C;
        var f = new Fwd
        {
            U = new double[n.L][][],
            S = new double[n.L][][],
            Ahat = new double[n.L][][],
            O = new double[n.T][],
            Xhat = new double[n.T][],
        };
        for (int l = 0; l < n.L; l++)
        {
            f.U[l] = new double[n.T][];
            f.S[l] = new double[n.T][];
            f.Ahat[l] = new double[n.T][];
        }
        var v = Enumerable.Range(0, n.L).Select(l => new double[n.Sizes[l + 1]]).ToArray();
        for (int t = 0; t < n.T; t++)
        {
            f.Xhat[t] = c.Inputs[t].Select((x, i) => (t > 0 ? n.Lambda * f.Xhat[t - 1][i] : 0) + x).ToArray();
            var input = c.Inputs[t];
            for (int l = 0; l < n.L; l++)
            {
                int m = n.Sizes[l + 1];
                var u = new double[m];
                var s = new double[m];
                var a = new double[m];
                for (int i = 0; i < m; i++)
                {
                    double cur = 0;
                    for (int j = 0; j < input.Length; j++) cur += c.Layers[l][i][j] * input[j];
                    u[i] = n.Lambda * v[l][i] + cur;
                    s[i] = u[i] - n.Vth >= 0 ? 1.0 : 0.0;
                    v[l][i] = n.Hard ? u[i] * (1 - s[i]) : u[i] - n.Vth * s[i];
                    a[i] = (t > 0 ? n.Lambda * f.Ahat[l][t - 1][i] : 0) + s[i];
                }
                f.U[l][t] = u;
                f.S[l][t] = s;
                f.Ahat[l][t] = a;
                input = s;
            }
            f.O[t] = c.Readout.Select(row => row.Select((w, j) => w * input[j]).Sum()).ToArray();
        }
        return f;
    }

    // ------------------------------------------------------------------------------------------------
    // Unrolled graph (BPTT / SLTT / SLTT-K / TT-LBPTT) with the scalar tape.

    /// <param name="n">network</param>
    /// <param name="cutBefore">0-based t → carried state v[t−1] is detached before the leak at step t</param>
    /// <param name="blocks">contiguous layer blocks; spikes leaving a block are detached</param>
    /// <param name="aux">aux heads (block → W_aux) or null</param>
    /// <param name="seeded">0-based t → step t gets a backward</param>
    /// <param name="pieces">step sets (0-based) whose gradient pieces are reported, or null</param>
    private static ReferenceResult Unrolled(Net n, Func<int, bool> cutBefore, int[][] blocks,
        Dictionary<int, double[][]>? aux, bool[] seeded, List<int[]>? pieces)
    {
        var c = n.C;
        var tape = new ScalarTape();
        var w = c.Layers.Select(m => m.Select(r => r.Select(tape.Leaf).ToArray()).ToArray()).ToArray();
        var wo = c.Readout.Select(r => r.Select(tape.Leaf).ToArray()).ToArray();
        aux ??= [];
        var wa = aux.ToDictionary(kv => kv.Key, kv => kv.Value.Select(r => r.Select(tape.Leaf).ToArray()).ToArray());
        var blockInput = new bool[n.L];
        var blockLast = new Dictionary<int, int>(); // block index → last layer
        for (int b = 0; b < blocks.Length; b++)
        {
            if (b > 0) blockInput[blocks[b][0]] = true;
            blockLast[b] = blocks[b][^1];
        }

        var uNodes = new int[n.L][][];
        var sNodes = new int[n.L][][];
        for (int l = 0; l < n.L; l++)
        {
            uNodes[l] = new int[n.T][];
            sNodes[l] = new int[n.T][];
        }
        var oNodes = new int[n.T][];
        var auxNodes = wa.Keys.ToDictionary(b => b, _ => new int[n.T][]);
        var v = new int[n.L][]; // carried post-reset potential nodes (null before t = 1)

        for (int t = 0; t < n.T; t++)
        {
            bool cut = t > 0 && cutBefore(t);
            var input = c.Inputs[t].Select(tape.Leaf).ToArray();
            for (int l = 0; l < n.L; l++)
            {
                if (blockInput[l]) input = input.Select(tape.StopGrad).ToArray();
                int m = n.Sizes[l + 1];
                var u = new int[m];
                var s = new int[m];
                var vNew = new int[m];
                for (int i = 0; i < m; i++)
                {
                    int cur = tape.Dot(w[l][i], input);
                    if (t == 0) u[i] = cur;
                    else
                    {
                        int prev = cut ? tape.StopGrad(v[l][i]) : v[l][i];
                        u[i] = tape.Add(tape.Scale(prev, n.Lambda), cur);
                    }
                    s[i] = tape.Spike(u[i], n.Vth, n.Sg);
                    int sr = c.DetachReset ? tape.StopGrad(s[i]) : s[i];
                    vNew[i] = n.Hard ? tape.Mul(u[i], tape.OneMinus(sr)) : tape.Sub(u[i], tape.Scale(sr, n.Vth));
                }
                v[l] = vNew;
                uNodes[l][t] = u;
                sNodes[l][t] = s;
                input = s;
            }
            oNodes[t] = wo.Select(row => tape.Dot(row, input)).ToArray();
            foreach (var (b, head) in wa)
            {
                var sb = sNodes[blockLast[b]][t];
                auxNodes[b][t] = head.Select(row => tape.Dot(row, sb)).ToArray();
            }
        }

        double[][] Vals(int[][] nodes) => nodes.Select(r => r.Select(tape.Value).ToArray()).ToArray();
        var o = Vals(oNodes);
        var dLdo = LossGrad(o, c.Target, c.Loss);
        var auxO = auxNodes.ToDictionary(kv => kv.Key, kv => Vals(kv.Value));
        var auxG = auxO.ToDictionary(kv => kv.Key, kv => LossGrad(kv.Value, c.Target, c.Loss));

        IEnumerable<(int, double)> Seeds(IEnumerable<int> steps)
        {
            foreach (int t in steps)
            {
                if (!seeded[t]) continue;
                for (int k = 0; k < n.Outputs; k++) yield return (oNodes[t][k], dLdo[t][k]);
                foreach (var (b, nodes) in auxNodes)
                    for (int k = 0; k < n.Outputs; k++) yield return (nodes[t][k], auxG[b][t][k]);
            }
        }

        ReferenceStepGrad Collect(double[] g) => new()
        {
            Layers = w.Select(m => m.Select(r => r.Select(x => g[x]).ToArray()).ToArray()).ToArray(),
            Readout = wo.Select(r => r.Select(x => g[x]).ToArray()).ToArray(),
            Aux = wa.ToDictionary(kv => kv.Key, kv => kv.Value.Select(r => r.Select(x => g[x]).ToArray()).ToArray()),
        };

        var gAll = tape.Backward(Seeds(Enumerable.Range(0, n.T)));
        var all = Collect(gAll);
        var res = new ReferenceResult
        {
            Loss = LossValue(o, c.Target, c.Loss),
            Spikes = sNodes.Select(Vals).ToArray(),
            Potentials = uNodes.Select(Vals).ToArray(),
            Outputs = o,
            LayerGrads = all.Layers,
            ReadoutGrad = all.Readout,
            AuxGrads = all.Aux,
            ErrorSignals = uNodes.Select(lt => lt.Select(r => r.Select(x => gAll[x]).ToArray()).ToArray()).ToArray(),
        };
        res.AuxLosses = auxO.ToDictionary(kv => kv.Key, kv => LossValue(kv.Value, c.Target, c.Loss));
        res.ObjectiveLoss = res.Loss + res.AuxLosses.Values.Sum();
        if (pieces != null)
            foreach (var p in pieces) res.StepGrads.Add(Collect(tape.Backward(Seeds(p))));
        return res;
    }

    // ------------------------------------------------------------------------------------------------
    // OTTT (closed form)

    private static ReferenceResult Ottt(Net n, bool allTrace, bool online)
    {
        var c = n.C;
        var f = Forward(n);
        var dLdo = LossGrad(f.O, c.Target, c.Loss);
        var gu = new double[n.L][][];
        for (int l = 0; l < n.L; l++) gu[l] = new double[n.T][];
        var res = new ReferenceResult
        {
            Loss = LossValue(f.O, c.Target, c.Loss),
            Spikes = f.S,
            Potentials = f.U,
            Outputs = f.O,
            LayerGrads = LayerZeros(n),
            ReadoutGrad = Zeros(n.Outputs, n.Sizes[n.L]),
            ErrorSignals = gu,
        };
        res.ObjectiveLoss = res.Loss;
        for (int t = 0; t < n.T; t++)
        {
            var piece = new ReferenceStepGrad { Layers = LayerZeros(n), Readout = Zeros(n.Outputs, n.Sizes[n.L]) };
            // g_s^L = Woᵀ ∂L/∂o[t]
            var gs = new double[n.Sizes[n.L]];
            for (int k = 0; k < n.Outputs; k++)
                for (int j = 0; j < gs.Length; j++) gs[j] += c.Readout[k][j] * dLdo[t][k];
            AddOuter(piece.Readout, dLdo[t], f.Ahat[n.L - 1][t]);
            for (int l = n.L - 1; l >= 0; l--)
            {
                var g = gs.Select((x, i) => x * n.Sg(f.U[l][t][i] - n.Vth)).ToArray();
                gu[l][t] = g;
                var pre = l > 0 ? f.Ahat[l - 1][t] : allTrace ? f.Xhat[t] : c.Inputs[t];
                AddOuter(piece.Layers[l], g, pre);
                gs = new double[n.Sizes[l]];
                for (int i = 0; i < g.Length; i++)
                    for (int j = 0; j < gs.Length; j++) gs[j] += c.Layers[l][i][j] * g[i];
            }
            Accumulate(res, piece);
            if (online) res.StepGrads.Add(piece);
        }
        return res;
    }

    private static void Accumulate(ReferenceResult res, ReferenceStepGrad piece)
    {
        for (int l = 0; l < piece.Layers.Length; l++)
            for (int i = 0; i < piece.Layers[l].Length; i++)
                for (int j = 0; j < piece.Layers[l][i].Length; j++) res.LayerGrads[l][i][j] += piece.Layers[l][i][j];
        for (int i = 0; i < piece.Readout.Length; i++)
            for (int j = 0; j < piece.Readout[i].Length; j++) res.ReadoutGrad[i][j] += piece.Readout[i][j];
    }

    // ------------------------------------------------------------------------------------------------
    // SAF (autodiff through the accumulation forward, one tape per step)

    private static ReferenceResult Saf(Net n, bool final)
    {
        var c = n.C;
        if (n.Hard) throw new NotSupportedException("SAF needs soft reset (the accumulation identity of §8.1)");
        double lam = n.Lambda;
        var tapes = new ScalarTape[n.T];
        var wNodes = new int[n.T][][][];
        var woNodes = new int[n.T][][];
        var uNodes = new int[n.L][][];
        var sNodes = new int[n.L][][];
        for (int l = 0; l < n.L; l++)
        {
            uNodes[l] = new int[n.T][];
            sNodes[l] = new int[n.T][];
        }
        var bigO = new int[n.T][];
        var oNodes = new int[n.T][];
        var xhat = new double[n.Sizes[0]];
        var ahat = Enumerable.Range(0, n.L).Select(l => new double[n.Sizes[l + 1]]).ToArray(); // â^l[t−1]
        var prevO = new double[n.Outputs];
        for (int t = 0; t < n.T; t++)
        {
            var tape = tapes[t] = new ScalarTape();
            var w = wNodes[t] = c.Layers.Select(m => m.Select(r => r.Select(tape.Leaf).ToArray()).ToArray()).ToArray();
            var wo = woNodes[t] = c.Readout.Select(r => r.Select(tape.Leaf).ToArray()).ToArray();
            for (int i = 0; i < xhat.Length; i++) xhat[i] = lam * xhat[i] + c.Inputs[t][i];
            var input = xhat.Select(tape.Leaf).ToArray();
            for (int l = 0; l < n.L; l++)
            {
                int m = n.Sizes[l + 1];
                var u = new int[m];
                var s = new int[m];
                var a = new int[m];
                for (int i = 0; i < m; i++)
                {
                    int prevA = tape.Leaf(ahat[l][i]); // constant
                    u[i] = tape.Sub(tape.Dot(w[l][i], input), tape.Scale(prevA, lam * n.Vth));
                    s[i] = tape.Spike(u[i], n.Vth, n.Sg);
                    a[i] = tape.Add(tape.Scale(prevA, lam), s[i]);
                }
                for (int i = 0; i < m; i++) ahat[l][i] = tape.Value(a[i]);
                uNodes[l][t] = u;
                sNodes[l][t] = s;
                input = a;
            }
            bigO[t] = wo.Select(row => tape.Dot(row, input)).ToArray();
            oNodes[t] = new int[n.Outputs];
            for (int k = 0; k < n.Outputs; k++)
            {
                int prev = tape.Leaf(prevO[k]); // constant
                oNodes[t][k] = tape.Sub(bigO[t][k], tape.Scale(prev, lam));
                prevO[k] = tape.Value(bigO[t][k]);
            }
        }

        double[] Vals(ScalarTape tp, int[] nodes) => nodes.Select(tp.Value).ToArray();
        var o = Enumerable.Range(0, n.T).Select(t => Vals(tapes[t], oNodes[t])).ToArray();
        var res = new ReferenceResult
        {
            Loss = LossValue(o, c.Target, c.Loss),
            Spikes = sNodes.Select(lt => lt.Select((r, t) => Vals(tapes[t], r)).ToArray()).ToArray(),
            Potentials = uNodes.Select(lt => lt.Select((r, t) => Vals(tapes[t], r)).ToArray()).ToArray(),
            Outputs = o,
            LayerGrads = LayerZeros(n),
            ReadoutGrad = Zeros(n.Outputs, n.Sizes[n.L]),
        };

        ReferenceStepGrad Collect(int t, double[] g) => new()
        {
            Layers = wNodes[t].Select(m => m.Select(r => r.Select(x => g[x]).ToArray()).ToArray()).ToArray(),
            Readout = woNodes[t].Select(r => r.Select(x => g[x]).ToArray()).ToArray(),
        };

        if (final)
        {
            int t = n.T - 1;
            double norm = 0;
            for (int k = 0; k < n.T; k++) norm += Math.Pow(lam, k);
            var seeds = new List<(int, double)>();
            double lf = 0;
            for (int k = 0; k < n.Outputs; k++)
            {
                double diff = tapes[t].Value(bigO[t][k]) / norm - c.Target[k];
                lf += 0.5 * diff * diff;
                seeds.Add((bigO[t][k], diff / norm));
            }
            res.ObjectiveLoss = lf;
            Accumulate(res, Collect(t, tapes[t].Backward(seeds)));
            return res;
        }

        res.ObjectiveLoss = res.Loss;
        var dLdo = LossGrad(o, c.Target, c.Loss);
        for (int t = 0; t < n.T; t++)
        {
            var piece = Collect(t, tapes[t].Backward(oNodes[t].Select((node, k) => (node, dLdo[t][k]))));
            Accumulate(res, piece);
            res.StepGrads.Add(piece);
        }
        return res;
    }

    // ------------------------------------------------------------------------------------------------
    // RateBP (closed form, §7)

    private static ReferenceResult RateBp(Net n, bool officialScale)
    {
        var c = n.C;
        var f = Forward(n);
        var rates = new double[n.L][];
        var elig = new double[n.L][];
        for (int l = 0; l < n.L; l++)
        {
            int m = n.Sizes[l + 1];
            rates[l] = new double[m];
            elig[l] = new double[m];
            for (int i = 0; i < m; i++)
            {
                double e = 1;
                for (int t = 0; t < n.T; t++)
                {
                    double u = f.U[l][t][i];
                    double s = f.S[l][t][i];
                    double sg = n.Sg(u - n.Vth);
                    elig[l][i] += sg * e / n.T;
                    rates[l][i] += s / n.T;
                    double eps = (n.Hard, c.DetachReset) switch
                    {
                        (false, true) => n.Lambda,
                        (false, false) => n.Lambda * (1 - n.Vth * sg),
                        (true, true) => n.Lambda * (1 - s),
                        (true, false) => n.Lambda * (1 - s) - n.Lambda * u * sg,
                    };
                    e = 1 + e * eps;
                }
            }
        }
        var xbar = new double[n.Sizes[0]];
        foreach (var x in c.Inputs)
            for (int j = 0; j < xbar.Length; j++) xbar[j] += x[j] / n.T;

        var dLdo = LossGrad(f.O, c.Target, c.Loss);
        double scale = officialScale ? 1.0 / n.T : 1.0;
        var deltaO = new double[n.Outputs];
        foreach (var g in dLdo)
            for (int k = 0; k < n.Outputs; k++) deltaO[k] += scale * g[k];

        var res = new ReferenceResult
        {
            Loss = LossValue(f.O, c.Target, c.Loss),
            Spikes = f.S,
            Potentials = f.U,
            Outputs = f.O,
            LayerGrads = LayerZeros(n),
            ReadoutGrad = Zeros(n.Outputs, n.Sizes[n.L]),
            Rates = rates,
            Eligibilities = elig,
        };
        res.ObjectiveLoss = res.Loss;
        AddOuter(res.ReadoutGrad, deltaO, rates[n.L - 1]);
        var back = new double[n.Sizes[n.L]];
        for (int k = 0; k < n.Outputs; k++)
            for (int j = 0; j < back.Length; j++) back[j] += c.Readout[k][j] * deltaO[k];
        for (int l = n.L - 1; l >= 0; l--)
        {
            var delta = back.Select((x, i) => x * elig[l][i]).ToArray();
            AddOuter(res.LayerGrads[l], delta, l > 0 ? rates[l - 1] : xbar);
            back = new double[n.Sizes[l]];
            for (int i = 0; i < delta.Length; i++)
                for (int j = 0; j < back.Length; j++) back[j] += c.Layers[l][i][j] * delta[i];
        }
        return res;
    }
}
