// The networks of `snn train --model mlp|conv` (torch_nets.Net) and TT-LBPTT's auxiliary heads.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

/// <summary>
/// Models.cs's mlp and conv: hidden layer i = Syn[i] -> Bn[i] -> LIF -> (AvgPool2 in the conv net), then Head(flatten).
/// The mlp takes flat inputs (the batches are flattened once when they are assembled).
/// </summary>
internal sealed class Net : Module
{
    private readonly ModuleList<Module<Tensor, Tensor>> syn = new();
    private readonly ModuleList<BatchNorm> bn = new();
    private readonly Linear head;

    public Net(string model) : base("Net")
    {
        Model = model;
        if (model == "conv")
        {
            syn.Add(Conv2d(1, 32, 3, padding: 1, bias: false));
            bn.Add(BatchNorm2d(32));
            syn.Add(Conv2d(32, 64, 3, padding: 1, bias: false));
            bn.Add(BatchNorm2d(64));
            head = Linear(64 * 7 * 7, 10);
            // Our layer index of each module (Models.cs order: Conv, BN, LIF, Pool, Conv, BN, LIF, Pool, Flatten, Linear).
            OursIndex = [0, 1, 4, 5, 9];
        }
        else
        {
            syn.Add(Linear(784, 256, hasBias: false));
            bn.Add(BatchNorm1d(256));
            head = Linear(256, 10);
            OursIndex = [1, 2, 4]; // Flatten, Linear, BatchNorm, LIF, Linear
        }
        RegisterComponents();
    }

    public string Model { get; }

    /// <summary>Our checkpoint's layer index of syn[0], bn[0], syn[1], bn[1], ..., head.</summary>
    public int[] OursIndex { get; }

    public int Depth => syn.Count;

    public Module<Tensor, Tensor> Syn(int i) => syn[i];

    public BatchNorm Bn(int i) => bn[i];

    public Linear Head => head;

    /// <summary>The weight of synapse i (Linear or Conv2d).</summary>
    public Tensor SynWeight(int i) => syn[i] switch
    {
        Linear l => l.weight!,
        Conv2d c => c.weight!,
        _ => throw new InvalidOperationException(syn[i].GetName()),
    };

    /// <summary>Output features (channels) of hidden layer i.</summary>
    public long Features(int i) => SynWeight(i).shape[0];

    /// <summary>What follows the LIF of hidden layer i (pooling), applied to spikes and to traces alike.</summary>
    public Tensor AfterSpikes(int i, Tensor s) => syn[i] is Conv2d ? functional.avg_pool2d(s, 2) : s;

    public Tensor Readout(Tensor h) => head.forward(h.flatten(1));

    /// <summary>TT-LBPTT's default auxiliary head (AuxiliaryHead.PoolLinear) for block outputs of `features` channels.</summary>
    public static Linear AuxHead(long features) => Linear(features, 10);

    /// <summary>The auxiliary head on spikes h: global average pooling of [C, H, W] outputs, then its linear layer.</summary>
    public static Tensor ApplyAuxHead(Linear head, Tensor h) => head.forward(h.dim() == 4 ? h.mean([2L, 3L]) : h);
}
