// TorchSharp peer of `snn train` for side-by-side timing: the same computation as torch_peer.py (see there) for every
// estimator (Estimators.cs, a port of torch_estimators.py), the same nets (Net.cs, Lif.cs), data and sample order
// (Data.cs), optimizer, schedule, T and batch. Outside the solution; run it through run.sh, which makes TorchSharp's
// libtorch load on Debian 12 (see the header of run.sh). --init CHECKPOINT starts from our checkpoint's weights and
// --save WEIGHTS.npz writes the trained weights under our names (check_peers.sh compares them with ours); with either,
// it prints the mean batch loss.
//
// Usage: run.sh --model mlp|conv --estimator NAME [--train-limit N] [--threads 2] [-T 4] [--k 2] [--window W]
//               [--blocks B] [--update accumulated|per-window] [--init CHECKPOINT] [--save WEIGHTS.npz] [--warm-up 0|1]
using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

string model = Arg("--model", "mlp");
string estimator = Arg("--estimator", "bptt");
if (model is not ("mlp" or "conv") || !Estimators.Names.Contains(estimator))
{
    Console.Error.WriteLine($"--model {model} --estimator {estimator}: the model is mlp or conv, the estimator one of {string.Join(", ", Estimators.Names)}.");
    return 2;
}
int? limit = Has("--train-limit") ? int.Parse(Arg("--train-limit", "0")) : null;
int threads = int.Parse(Arg("--threads", "2"));
int? blocks = Has("--blocks") ? int.Parse(Arg("--blocks", "1")) : null;
var settings = new Settings(int.Parse(Arg("-T", "4")), int.Parse(Arg("--k", "2")),
    Has("--window") ? int.Parse(Arg("--window", "0")) : null, blocks, Arg("--update", "accumulated") == "per-window");
string? init = Has("--init") ? Arg("--init", "") : null;
string? save = Has("--save") ? Arg("--save", "") : null;
const int BatchSize = 64, Seed = 1;
const double BaseLr = 0.05;
torch.set_num_threads(threads);
torch.manual_seed(Seed);

var batches = Data.Batches("/usr/share/datasets/fashion-mnist", model, limit, BatchSize, Seed);
int count = batches.Sum(b => (int)b.Y.shape[0]);
var net = new Net(model);
var aux = AuxHeads(net);
if (init is not null) Checkpoint.LoadOurs(net, aux, init);
var (opt, run) = Trainer(net, aux);
// As `snn train` warms its device up on a scratch copy before its epoch clock starts, one untimed iteration on a scratch
// net and optimizer (--warm-up 0 turns it off; the trained net never sees it).
if (Arg("--warm-up", "1") != "0")
{
    var scratch = new Net(model);
    scratch.load_state_dict(net.state_dict());
    var scratchAux = AuxHeads(scratch);
    for (int i = 0; i < aux.Count; i++) scratchAux[i].load_state_dict(aux[i].state_dict());
    var (warmOpt, warmRun) = Trainer(scratch, scratchAux);
    using (NewDisposeScope())
        warmRun.Run(estimator, batches[0].X, batches[0].Y, Data.IterationSeed(Seed, 0));
    warmOpt.Dispose();
    scratch.Dispose();
}
long correct = 0;
double lossSum = 0;
var watch = Stopwatch.StartNew();
for (int i = 0; i < batches.Count; i++)
{
    using var scope = NewDisposeScope();
    var (x, y) = batches[i];
    foreach (var g in opt.ParamGroups) g.LearningRate = BaseLr * 0.5 * (1 + Math.Cos(Math.PI * i / batches.Count));
    var (loss, outSum) = run.Run(estimator, x, y, Data.IterationSeed(Seed, i));
    correct += outSum.argmax(1).eq(y).sum().item<long>();
    if (init is not null || save is not null) lossSum += loss.item<float>();
}
double seconds = watch.Elapsed.TotalSeconds;
if (save is not null) Checkpoint.SaveOurs(net, aux, save);
Console.WriteLine($"peer torchsharp {model} {estimator} T={settings.Steps} samples={count} threads={threads} train_seconds={seconds:F2} train_acc={(double)correct / count:F4}"
    + (init is not null || save is not null ? $" train_loss={lossSum / batches.Count:F6}" : ""));
return 0;

// One auxiliary head per non-final tt-lbptt block, on the spikes of the block's last hidden layer.
List<Linear> AuxHeads(Net n) => estimator == "tt-lbptt" && blocks is { } b
    ? Estimators.BlockRanges(n.Depth, b).SkipLast(1).Select(layers => Net.AuxHead(n.Features(layers[^1]))).ToList()
    : [];

// SGD (momentum 0.9, weight decay 5e-4 on every parameter) over the net and its auxiliary heads, and the estimators
// on them; an update steps the optimizer with the batch's learning rate and zeroes the gradients.
(optim.Optimizer, Estimators) Trainer(Net n, List<Linear> heads)
{
    n.train();
    var parameters = n.parameters().Concat(heads.SelectMany(h => h.parameters())).ToList();
    var o = optim.SGD(parameters, BaseLr, momentum: 0.9, weight_decay: 5e-4);
    return (o, new Estimators(n, heads, settings, () =>
    {
        o.step();
        o.zero_grad();
    }));
}

bool Has(string name) => args.Contains(name);

string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
