// Every estimator of torch_estimators.py (which says what each computes; the math is ../shared/design/estimators.md),
// written the same way on TorchSharp.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

/// <summary>The per-run settings of the estimators (torch_peer.py's ctx).</summary>
internal sealed record Settings(int Steps, int K, int? Window, int? Blocks, bool PerWindow);

/// <summary>
/// The estimators on one net, its auxiliary heads and its optimizer step. Each runs one batch: x the images (direct
/// encoding: every step sees them), y the labels, iteration the Trainer's seed of the batch; it returns the loss our
/// estimator reports and the sum over t of the read-outs.
/// </summary>
internal sealed class Estimators(Net net, IReadOnlyList<Linear> aux, Settings settings, Action update)
{
    public static readonly string[] Names = ["bptt", "tt-lbptt", "sltt", "sltt-k", "ottt-a", "ottt-o", "saf-e", "saf-f", "ratebp"];

    private int T => settings.Steps;

    public (Tensor Loss, Tensor OutSum) Run(string name, Tensor x, Tensor y, ulong iteration) => name switch
    {
        "bptt" => Bptt(x, y),
        "tt-lbptt" => TtLbptt(x, y),
        "sltt" => Sltt(x, y, null),
        "sltt-k" => Sltt(x, y, SlttKSteps(T, settings.K, iteration)),
        "ottt-a" => Ottt(x, y, online: false),
        "ottt-o" => Ottt(x, y, online: true),
        "saf-e" => Saf(x, y, final: false),
        "saf-f" => Saf(x, y, final: true),
        "ratebp" => RateBp(x, y),
        _ => throw new ArgumentException($"--estimator {name}: one of {string.Join(", ", Names)}."),
    };

    /// <summary>The static input repeated over `steps` steps, time folded into the batch: [steps*B, ...].</summary>
    private static Tensor Folded(Tensor x, long steps) =>
        x.unsqueeze(0).expand([steps, .. x.shape]).reshape([steps * x.shape[0], .. x.shape[1..]]);

    /// <summary>(1/T) * sum over the k steps folded into logits of CE(o[t], y) = CE over the k*B rows * k / T.</summary>
    private Tensor PerStepLoss(Tensor logits, Tensor y, long k) =>
        functional.cross_entropy(logits, k == 1 ? y : y.repeat(k)) * ((double)k / T);

    /// <summary>Sum over t of o[t] from folded read-outs [k*B, C].</summary>
    private static Tensor StepSums(Tensor logits, long k) => logits.detach().reshape(k, -1, logits.shape[^1]).sum(0L);

    /// <summary>[T*B, ...] -> [T, B, ...] and back.</summary>
    private static Tensor Unfold(Tensor a, long steps) => a.reshape([steps, -1, .. a.shape[1..]]);

    private static Tensor Fold(Tensor s) => s.reshape([s.shape[0] * s.shape[1], .. s.shape[2..]]);

    private static Tensor Add(Tensor? total, Tensor value) => total is null ? value : total + value;

    /// <summary>The whole sequence in one graph, time folded into the batch (BatchNorm over T*B), reset kept in the graph.</summary>
    private (Tensor, Tensor) Bptt(Tensor x, Tensor y)
    {
        var h = Folded(x, T);
        for (int i = 0; i < net.Depth; i++)
        {
            var a = net.Bn(i).forward(net.Syn(i).forward(h));
            h = net.AfterSpikes(i, Fold(Lif.Sequence(Unfold(a, T), null).Spikes));
        }
        var logits = net.Readout(h);
        var loss = PerStepLoss(logits, y, T);
        loss.backward();
        update();
        return (loss.detach(), StepSums(logits, T));
    }

    /// <summary>TruncatedLocalBptt.EvenBlocks: hidden layers of each block, as even as possible.</summary>
    public static List<int[]> BlockRanges(int depth, int blocks) =>
        Enumerable.Range(0, blocks).Select(b => Enumerable.Range(b * depth / blocks, (b + 1) * depth / blocks - b * depth / blocks).ToArray()).ToList();

    /// <summary>
    /// Windows of `--window` steps (the neuron state a constant at each window start; BatchNorm over the window's k*B
    /// samples), hidden layers in `--blocks` blocks with spikes detached between blocks; a non-final block learns from
    /// its auxiliary head on its output spikes, the last from the read-out; every loss the per-step loss of the window's
    /// steps. One update per sequence (or per window with --update per-window). Defaults: one window, one block (BPTT).
    /// </summary>
    private (Tensor, Tensor) TtLbptt(Tensor x, Tensor y)
    {
        int window = Math.Min(settings.Window ?? T, T);
        var ranges = BlockRanges(net.Depth, settings.Blocks ?? 1);
        var state = new Tensor?[net.Depth];
        Tensor? total = null, outSum = null;
        for (int start = 0; start < T; start += window)
        {
            int length = Math.Min(window, T - start);
            var h = Folded(x, length);
            for (int b = 0; b < ranges.Count; b++)
            {
                var layers = ranges[b];
                bool last = b == ranges.Count - 1;
                if (b > 0) h = net.AfterSpikes(layers[0] - 1, h);
                for (int n = 0; n < layers.Length; n++)
                {
                    int i = layers[n];
                    if (n > 0) h = net.AfterSpikes(i - 1, h);
                    var a = net.Bn(i).forward(net.Syn(i).forward(h));
                    var (s, v) = Lif.Sequence(Unfold(a, length), state[i]?.detach());
                    state[i] = v.detach();
                    h = Fold(s);
                }
                var logits = last ? net.Readout(net.AfterSpikes(layers[^1], h)) : Net.ApplyAuxHead(aux[b], h);
                var loss = PerStepLoss(logits, y, length);
                loss.backward();
                if (last)
                {
                    total = Add(total, loss.detach());
                    outSum = Add(outSum, StepSums(logits, length));
                }
                h = h.detach();
            }
            if (settings.PerWindow) update();
        }
        if (!settings.PerWindow) update();
        return (total!, outSum!);
    }

    /// <summary>
    /// Per step: the carried membrane a constant (only spatial edges), BatchNorm per step, the step's loss (1/T)*CE
    /// back-propagated right after its forward; steps outside `trained` (SLTT-K) run without graph. One update.
    /// </summary>
    private (Tensor, Tensor) Sltt(Tensor x, Tensor y, IReadOnlySet<int>? trained)
    {
        var state = new Tensor?[net.Depth];
        Tensor? total = null, outSum = null;
        for (int t = 0; t < T; t++)
        {
            bool graph = trained is null || trained.Contains(t);
            using var mode = torch.enable_grad(graph);
            var h = x;
            for (int i = 0; i < net.Depth; i++)
            {
                (var s, state[i]) = Lif.Step(net.Bn(i).forward(net.Syn(i).forward(h)), state[i]);
                h = net.AfterSpikes(i, s);
            }
            var output = net.Readout(h);
            var loss = PerStepLoss(output, y, 1);
            if (graph) loss.backward();
            total = Add(total, loss.detach());
            outSum = Add(outSum, output.detach());
        }
        update();
        return (total!, outSum!);
    }

    /// <summary>Sltt.StepsFor: the 0-based steps SLTT-K back-propagates (.NET's seeded Random shuffling 0..T-1, first K).</summary>
    public static IReadOnlySet<int> SlttKSteps(int steps, int k, ulong iteration)
    {
        var order = Enumerable.Range(0, steps).ToArray();
        if (k >= steps) return order.ToHashSet();
        new Random(unchecked((int)(iteration ^ (iteration >> 32)))).Shuffle(order);
        return order.Take(k).ToHashSet();
    }

    /// <summary>
    /// OTTT: SLTT's temporal cut, each LIF keeps a trace a[t] = decay*a[t-1] + s[t] (pooled like the spikes); every
    /// synapse after the first (and the read-out) takes its weight gradient from the trace; BatchNorm per step. OTTT_A:
    /// one update per sequence; OTTT_O: an update after every step.
    /// </summary>
    private (Tensor, Tensor) Ottt(Tensor x, Tensor y, bool online)
    {
        var state = new Tensor?[net.Depth];
        var traces = new Tensor?[net.Depth];
        Tensor? total = null, outSum = null;
        for (int t = 0; t < T; t++)
        {
            Tensor h = x;
            Tensor? trace = null;
            for (int i = 0; i < net.Depth; i++)
            {
                var synapse = TraceGradient.Traced(net.Syn(i), net.SynWeight(i), null, h, trace);
                (var s, state[i]) = Lif.Step(net.Bn(i).forward(synapse), state[i]);
                using (torch.no_grad())
                    traces[i] = traces[i] is null ? s.detach() : traces[i]! * Lif.Decay + s.detach();
                h = net.AfterSpikes(i, s);
                trace = net.AfterSpikes(i, traces[i]!);
            }
            var output = TraceGradient.Traced(net.Head, net.Head.weight!, net.Head.bias, h.flatten(1), trace!.flatten(1));
            var loss = PerStepLoss(output, y, 1);
            loss.backward();
            if (online) update();
            total = Add(total, loss.detach());
            outSum = Add(outSum, output.detach());
        }
        if (!online) update();
        return (total!, outSum!);
    }

    /// <summary>Sum over k &lt; steps of decay^k (a float32 sum, as ours).</summary>
    private static float AccumulatedWeight(int steps)
    {
        float w = 0;
        for (int k = 0; k < steps; k++) w += MathF.Pow(Lif.Decay, k);
        return w;
    }

    /// <summary>
    /// SAF (Saf.cs): layers exchange accumulations a[t] = decay*a[t-1] + s[t] (the input: x_hat = decay*x_hat + x), one
    /// synaptic op per layer per step, no membrane kept; BatchNorm at the scale of one step, N*BN(z/N) with N = sum of
    /// decay^k; read-out o[t] = W a_L[t] + b - decay*W a_L[t-1]. SAF-E: per-step loss, an update every step. SAF-F: the
    /// steps without graph but the last, whose loss is CE(W a_L[T]/N_T + b); one update; the loss it reports is the
    /// per-step loss of its read-outs o[t].
    /// </summary>
    private (Tensor, Tensor) Saf(Tensor x, Tensor y, bool final)
    {
        var batchAcc = new Tensor?[net.Depth];
        Tensor? xHat = null, previous = null, total = null, outSum = null;
        for (int t = 0; t < T; t++)
        {
            xHat = xHat is null ? x : xHat * Lif.Decay + x;
            double norm = AccumulatedWeight(t + 1);
            bool graph = !final || t == T - 1;
            Tensor loss, instantaneous;
            using (torch.enable_grad(graph))
            {
                var h = xHat;
                for (int i = 0; i < net.Depth; i++)
                {
                    var z = net.Syn(i).forward(h);
                    var a = norm == 1.0 ? net.Bn(i).forward(z) : net.Bn(i).forward(z * (1.0 / norm)) * norm;
                    batchAcc[i] ??= torch.zeros_like(a);
                    var acc = SafNeuron.apply(a, batchAcc[i]!);
                    batchAcc[i] = acc.detach();
                    h = net.AfterSpikes(i, acc);
                }
                var flat = h.flatten(1);
                instantaneous = previous is null ? net.Head.forward(flat) : net.Head.forward(flat) - previous;
                using (torch.no_grad())
                    previous = functional.linear(flat, net.Head.weight!) * Lif.Decay;
                if (!final)
                {
                    loss = PerStepLoss(instantaneous, y, 1);
                    loss.backward();
                    update();
                }
                else
                {
                    using (torch.no_grad())
                        loss = PerStepLoss(instantaneous, y, 1);
                    if (graph)
                        functional.cross_entropy(net.Head.forward(flat * (1.0 / AccumulatedWeight(T))), y).backward();
                }
            }
            total = Add(total, loss.detach());
            outSum = Add(outSum, instantaneous.detach());
        }
        if (final) update();
        return (total!, outSum!);
    }

    /// <summary>
    /// The spike pass of one LIF layer (no graph): spikes, firing rate r and eligibility (1/T) sum sg[t]*e[t] with
    /// e[1] = 1, e[t+1] = 1 + e[t]*decay*(1 - th*sg[t]) (soft reset kept in the graph).
    /// </summary>
    private static (Tensor Spikes, Tensor Rate, Tensor Eligibility) RateLif(Tensor folded, int steps)
    {
        var current = Unfold(folded, steps);
        Tensor? v = null;
        var e = torch.ones_like(current[0]);
        var spikeSum = torch.zeros_like(current[0]);
        var eligSum = torch.zeros_like(current[0]);
        var spikes = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            var u = v is null ? current[t] : v * Lif.Decay + current[t];
            var z = u - Lif.Threshold;
            var s = z.ge(0).to_type(ScalarType.Float32);
            var sg = Lif.Surrogate(z);
            spikeSum.add_(s);
            eligSum.add_(sg * e);
            v = u - s;
            e = e * Lif.Decay * (1f - sg) + 1f;
            spikes[t] = s;
        }
        return (Fold(torch.stack(spikes)), spikeSum * (1.0 / steps), eligSum * (1.0 / steps));
    }

    /// <summary>
    /// RateBP, our defaults ('m' mode: BatchNorm over the folded T*B batch; the mean-output loss CE(o_bar); no 1/T
    /// scale): a spike pass without graph records each BatchNorm's mean and biased variance and each LIF's rate and
    /// eligibility; then a rate pass with graph on the mean input: synapses on rates, BatchNorm with the recorded
    /// statistics, each LIF replaced by its rate (value) with gradient * eligibility; back-propagated from dCE/d(o_bar).
    /// </summary>
    private (Tensor, Tensor) RateBp(Tensor x, Tensor y)
    {
        var stats = new List<(Tensor Mean, Tensor Var)>();
        var rates = new List<(Tensor Rate, Tensor Eligibility)>();
        Tensor outSum;
        using (torch.no_grad())
        {
            var h = Folded(x, T);
            for (int i = 0; i < net.Depth; i++)
            {
                var c = net.Syn(i).forward(h);
                var (variance, mean) = torch.var_mean(c, c.dim() == 2 ? [0L] : [0L, 2L, 3L], unbiased: false);
                stats.Add((mean, variance));
                var (s, r, e) = RateLif(net.Bn(i).forward(c), T);
                rates.Add((r, e));
                h = net.AfterSpikes(i, s);
            }
            outSum = StepSums(net.Readout(h), T);
        }
        var meanOutput = (outSum * (1.0 / T)).requires_grad_();
        var loss = functional.cross_entropy(meanOutput, y);
        var seed = torch.autograd.grad([loss], [meanOutput])[0];
        var inputSum = torch.zeros_like(x);
        for (int t = 0; t < T; t++) inputSum.add_(x);
        var hr = inputSum * (1.0 / T);
        for (int i = 0; i < net.Depth; i++)
        {
            var bn = net.Bn(i);
            var c = RecordedBatchNorm.apply(net.Syn(i).forward(hr), bn.weight!, bn.bias!, stats[i].Mean, stats[i].Var, bn.eps);
            hr = net.AfterSpikes(i, rates[i].Rate + rates[i].Eligibility * (c - c.detach()));
        }
        net.Readout(hr).backward([seed]);
        update();
        return (loss.detach(), outSum);
    }
}
