// TorchSharp peer of `snn train --estimator bptt|sltt` (mlp, conv) for side-by-side timing: the same computation as
// torch_peer.py's bptt and sltt (see there, torch_estimators.py and torch_nets.py). Outside the solution; run it through run.sh, which makes
// TorchSharp's libtorch load on Debian 12 (see the header of run.sh). --init CHECKPOINT starts from our checkpoint's weights
// and prints the mean batch loss (check_peers.sh compares it with ours).
using System.Diagnostics;
using System.IO.Compression;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

string model = Arg("--model", "mlp");
int? limit = args.Contains("--train-limit") ? int.Parse(Arg("--train-limit", "0")) : null;
int threads = int.Parse(Arg("--threads", "2"));
int steps = int.Parse(Arg("-T", "4"));
string? init = args.Contains("--init") ? Arg("--init", "") : null;
string estimator = Arg("--estimator", "bptt");
if (estimator is not ("bptt" or "sltt")) throw new ArgumentException($"--estimator {estimator}: this peer has bptt and sltt.");
const int BatchSize = 64, Seed = 1;
const double BaseLr = 0.05;
torch.set_num_threads(threads);
torch.manual_seed(Seed);

var data = "/usr/share/datasets/fashion-mnist";
var images = ReadIdx($"{data}/train-images-idx3-ubyte.gz");
var labels = ReadIdx($"{data}/train-labels-idx1-ubyte.gz");
int count = Math.Min(limit ?? labels.Length, labels.Length);
var order = Order(count, Seed, 0);
var batches = new List<(Tensor X, Tensor Y)>();
for (int b0 = 0; b0 < count; b0 += BatchSize)
{
    var idx = order.Skip(b0).Take(BatchSize).ToArray();
    var pixels = new float[idx.Length * 784];
    var ys = new long[idx.Length];
    for (int i = 0; i < idx.Length; i++)
    {
        for (int p = 0; p < 784; p++) pixels[i * 784 + p] = images[16 + idx[i] * 784 + p] / 255f;
        ys[i] = labels[8 + idx[i]];
    }
    var x = tensor(pixels, model == "mlp" ? [idx.Length, 784] : [idx.Length, 1, 28, 28]);
    batches.Add((x, tensor(ys)));
}

var net = new Net(model);
if (init is not null) net.LoadOurs(init);
net.train();
var opt = optim.SGD(net.parameters(), BaseLr, momentum: 0.9, weight_decay: 5e-4);
// As `snn train` warms its device up on a scratch copy before its epoch clock starts, one untimed iteration on a scratch
// net and optimizer (--warm-up 0 turns it off; the trained net never sees it).
if (Arg("--warm-up", "1") != "0")
{
    var scratch = new Net(model);
    scratch.load_state_dict(net.state_dict());
    scratch.train();
    using var warmOpt = optim.SGD(scratch.parameters(), BaseLr, momentum: 0.9, weight_decay: 5e-4);
    using var warmScope = NewDisposeScope();
    Run(scratch, warmOpt, batches[0].X, batches[0].Y, BaseLr);
    scratch.Dispose();
}
long correct = 0;
double lossSum = 0;
var watch = Stopwatch.StartNew();
for (int i = 0; i < batches.Count; i++)
{
    using var scope = NewDisposeScope();
    var (x, y) = batches[i];
    var (sum, loss) = Run(net, opt, x, y, BaseLr * 0.5 * (1 + Math.Cos(Math.PI * i / batches.Count)));
    correct += sum.argmax(1).eq(y).sum().item<long>();
    if (init is not null) lossSum += loss.item<float>();
}
Console.WriteLine($"peer torchsharp {model} {estimator} T={steps} samples={count} threads={threads} train_seconds={watch.Elapsed.TotalSeconds:F2} train_acc={(double)correct / count:F4}"
    + (init is not null ? $" train_loss={lossSum / batches.Count:F6}" : ""));
return 0;

// One training iteration of the chosen estimator: (the read-outs summed over t, the loss).
(Tensor OutSum, Tensor Loss) Run(Net n, optim.Optimizer o, Tensor x, Tensor y, double lr)
{
    foreach (var g in o.ParamGroups) g.LearningRate = lr;
    o.zero_grad();
    var result = estimator == "sltt" ? Sltt(n, x, y) : Bptt(n, x, y);
    o.step();
    return result;
}

(Tensor OutSum, Tensor Loss) Bptt(Net n, Tensor x, Tensor y)
{
    var xs = x.unsqueeze(0).expand([steps, .. x.shape]).reshape([steps * x.shape[0], .. x.shape.Skip(1)]);
    var logits = n.forward(xs, steps);
    var loss = functional.cross_entropy(logits, y.repeat(steps));
    loss.backward();
    return (logits.detach().reshape(steps, -1, 10).sum(0L), loss);
}

// torch_estimators.sltt: per step the carried membrane a constant, BatchNorm per step, the step's loss CE/T
// back-propagated right after its forward; one update per sequence.
(Tensor OutSum, Tensor Loss) Sltt(Net n, Tensor x, Tensor y)
{
    var state = new Tensor?[n.Depth];
    Tensor? total = null, outSum = null;
    for (int t = 0; t < steps; t++)
    {
        var h = x;
        for (int i = 0; i < n.Depth; i++) (h, state[i]) = n.Step(i, h, state[i]);
        var output = n.Readout(h);
        var loss = functional.cross_entropy(output, y) / steps;
        loss.backward();
        total = total is null ? loss.detach() : total + loss.detach();
        outSum = outSum is null ? output.detach() : outSum + output.detach();
    }
    return (outSum!, total!);
}

string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static byte[] ReadIdx(string path)
{
    using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
    using var memory = new MemoryStream();
    gz.CopyTo(memory);
    return memory.ToArray();
}

// DataLoader.Order: Fisher-Yates with SplitMix64 and rejection sampling (as dotnet_ports.py).
static int[] Order(int count, int seed, int epoch)
{
    const ulong Golden = 0x9E3779B97F4A7C15UL;
    static ulong Mix(ulong z)
    {
        z += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
    var perm = Enumerable.Range(0, count).ToArray();
    ulong state = Mix((ulong)(uint)seed ^ Mix(0x5EEDUL + (uint)epoch));
    for (int i = count - 1; i > 0; i--)
    {
        ulong bound = (ulong)i + 1, limit = ulong.MaxValue - ulong.MaxValue % bound, r;
        do
        {
            state += Golden;
            r = Mix(state);
        }
        while (r >= limit);
        int j = (int)(r % bound);
        (perm[i], perm[j]) = (perm[j], perm[i]);
    }
    return perm;
}

/// <summary>Heaviside spike with the sigmoid surrogate derivative (alpha 4).</summary>
internal sealed class Spike : autograd.SingleTensorFunction<Spike>
{
    public override string Name => "Spike";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var z = (Tensor)vars[0];
        ctx.save_for_backward([z]);
        return z.ge(0).to_type(ScalarType.Float32);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor g)
    {
        var z = ctx.get_saved_variables()[0];
        var s = torch.sigmoid(z * 4f);
        return [g * 4f * s * (1f - s)];
    }
}

/// <summary>Models.cs's mlp and conv: [synapse, BatchNorm, LIF, (AvgPool2)] per hidden layer, then Linear(10).</summary>
internal sealed class Net : Module
{
    private readonly ModuleList<Module<Tensor, Tensor>> syn = new();
    private readonly ModuleList<Module<Tensor, Tensor>> bn = new();
    private readonly Linear head;
    private readonly bool pooled;

    public Net(string model) : base("Net")
    {
        pooled = model == "conv";
        if (pooled)
        {
            syn.Add(Conv2d(1, 32, 3, padding: 1, bias: false));
            bn.Add(BatchNorm2d(32));
            syn.Add(Conv2d(32, 64, 3, padding: 1, bias: false));
            bn.Add(BatchNorm2d(64));
            head = Linear(64 * 7 * 7, 10);
        }
        else
        {
            syn.Add(Linear(784, 256, hasBias: false));
            bn.Add(BatchNorm1d(256));
            head = Linear(256, 10);
        }
        RegisterComponents();
    }

    /// <summary>
    /// Copies the parameters of one of our checkpoints (safetensors, float32) into the net: our layer index of each
    /// module in Models.cs's order (BatchNorm's running statistics keep their initial 0 and 1).
    /// </summary>
    public void LoadOurs(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        using var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        int[] synIndex = pooled ? [0, 4] : [1], bnIndex = pooled ? [1, 5] : [2];
        int headIndex = pooled ? 9 : 4;
        var targets = new List<(string Name, Tensor Target)>();
        for (int i = 0; i < syn.Count; i++)
        {
            targets.Add(($"layers.{synIndex[i]}.weight", ((dynamic)syn[i]).weight));
            targets.Add(($"layers.{bnIndex[i]}.weight", ((dynamic)bn[i]).weight));
            targets.Add(($"layers.{bnIndex[i]}.bias", ((dynamic)bn[i]).bias));
        }
        targets.Add(($"layers.{headIndex}.weight", head.weight!));
        targets.Add(($"layers.{headIndex}.bias", head.bias!));
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in targets)
        {
            var offsets = header.RootElement.GetProperty(name).GetProperty("data_offsets");
            long from = 8 + headerLength + offsets[0].GetInt64(), to = 8 + headerLength + offsets[1].GetInt64();
            var values = new float[(to - from) / 4];
            Buffer.BlockCopy(bytes, (int)from, values, 0, values.Length * 4);
            target.copy_(torch.tensor(values).reshape(target.shape));
        }
    }

    /// <summary>Hidden layers.</summary>
    public int Depth => syn.Count;

    /// <summary>
    /// torch_nets.lif_step through hidden layer i: its spikes (pooled in the conv net) and the next state, detached (the
    /// carried membrane enters the step as a constant).
    /// </summary>
    public (Tensor Output, Tensor State) Step(int i, Tensor h, Tensor? v)
    {
        var current = bn[i].forward(syn[i].forward(h));
        var u = v is null ? current : v * 0.5f + current;
        var s = Spike.apply(u - 1f);
        return (pooled ? functional.avg_pool2d(s, 2) : s, (u - s).detach());
    }

    /// <summary>The read-out of the last hidden layer's output.</summary>
    public Tensor Readout(Tensor h) => head.forward(h.flatten(1));

    /// <summary>x [T*B, ...] (time folded into the batch) -> logits [T*B, 10]; LIF decay 0.5, threshold 1, soft reset kept in the graph.</summary>
    public Tensor forward(Tensor x, int steps)
    {
        var h = x;
        for (int i = 0; i < syn.Count; i++)
        {
            var a = bn[i].forward(syn[i].forward(h));
            var current = a.reshape([steps, -1, .. a.shape.Skip(1)]);
            Tensor? v = null;
            var spikes = new Tensor[steps];
            for (int t = 0; t < steps; t++)
            {
                var u = v is null ? current[t] : v * 0.5f + current[t];
                var s = Spike.apply(u - 1f);
                v = u - s;
                spikes[t] = s;
            }
            h = torch.stack(spikes).reshape(a.shape);
            if (pooled) h = functional.avg_pool2d(h, 2);
        }
        return head.forward(h.flatten(1));
    }
}
