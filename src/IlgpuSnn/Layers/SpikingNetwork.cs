using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// A feed-forward spiking network: a sequence of layers ending in a linear read-out (no neuron after it). Inputs are
/// time-first [T, B, ...]; the network resets every neuron's state at the start of each sequence by itself.
/// Estimators drive it through <see cref="Run"/> (any range of layers), or through their own layer adapters.
/// </summary>
public sealed class SpikingNetwork : IDisposable
{
    private readonly List<Layer> layers;
    private int owner;
    private int depth;

    internal SpikingNetwork(Device device, int[] inputShape, List<Layer> layers)
    {
        Device = device;
        InputShape = inputShape;
        this.layers = layers;
        if (layers.Count == 0 || layers[^1] is not Linear readout)
            throw new ArgumentException("SpikingNetwork: the last layer must be a Linear read-out.");
        Readout = readout;
        var shape = inputShape;
        for (int i = 0; i < layers.Count; i++)
        {
            layers[i].Name = $"layers.{i}";
            shape = layers[i].OutputShape(shape);
        }
        Classes = shape[0];
        NeuronLayerIndices = layers.Select((l, i) => (l, i)).Where(p => p.l is NeuronLayer).Select(p => p.i).ToArray();
        if (NeuronLayerIndices.Count == 0) throw new ArgumentException("SpikingNetwork: add at least one neuron layer.");
    }

    /// <summary>The device holding the parameters.</summary>
    public Device Device { get; }

    /// <summary>Per-sample input shape (no time or batch axis).</summary>
    public int[] InputShape { get; }

    /// <summary>Number of read-out outputs.</summary>
    public int Classes { get; }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer> Layers => layers;

    /// <summary>The final linear layer.</summary>
    public Linear Readout { get; }

    /// <summary>Indices into <see cref="Layers"/> of the neuron layers (one per spiking layer).</summary>
    public IReadOnlyList<int> NeuronLayerIndices { get; }

    /// <summary>All trainable parameters, in layer order.</summary>
    public IReadOnlyList<Tensor> Parameters => layers.SelectMany(l => l.Parameters).ToList();

    /// <summary>Parameters and buffers with unique names ("layers.3.weight"), for checkpoints.</summary>
    /// <returns>Name and tensor of every parameter and buffer, in layer order.</returns>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedTensors() =>
        layers.SelectMany(l => l.Parameters.Concat(l.Buffers).Select(t => KeyValuePair.Create($"{l.Name}.{t.Name}", t)));

    /// <summary>Writes every parameter and buffer to a safetensors file (atomically), readable from Python.</summary>
    /// <param name="path">The file; an existing file is replaced only once the new one is complete.</param>
    public void Save(string path) => Formats.SafeTensors.Save(path, NamedTensors(), new Dictionary<string, string> { ["format"] = "ilgpusnn-network-1" });

    /// <summary>
    /// Reads parameters and buffers written by <see cref="Save"/> (or any safetensors file with the same names and
    /// shapes) into this network.
    /// </summary>
    /// <param name="path">The safetensors file.</param>
    /// <exception cref="InvalidDataException">A tensor is missing, has another shape or holds NaN/∞; nothing is changed then.</exception>
    public void Load(string path)
    {
        var stored = Formats.SafeTensors.Load(path, out _);
        var targets = NamedTensors().ToList();
        foreach (var (name, tensor) in targets)
        {
            if (!stored.TryGetValue(name, out var entry))
                throw new InvalidDataException($"{path}: tensor '{name}' is missing; the file does not match this network.");
            if (!entry.Shape.SequenceEqual(tensor.Shape))
                throw new InvalidDataException($"{path}: tensor '{name}' has shape {Tensor.Format(entry.Shape)}, the network needs {Tensor.Format(tensor.Shape)}.");
            if (!entry.Data.All(float.IsFinite))
                throw new InvalidDataException($"{path}: tensor '{name}' holds NaN or infinite values.");
        }
        foreach (var (name, tensor) in targets) tensor.CopyFrom(stored[name].Data);
    }

    /// <summary>Builds a network; see <see cref="NetworkBuilder"/>.</summary>
    /// <param name="device">The device holding parameters and state.</param>
    /// <param name="inputShape">Per-sample input shape (no time or batch axis), e.g. [1, 28, 28].</param>
    /// <param name="build">Adds the layers in order; the last must be a Linear read-out.</param>
    /// <param name="seed">Seed of the parameter initialisation.</param>
    /// <returns>The network; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">The layers do not fit the input shape, no neuron layer, or no Linear read-out last.</exception>
    public static SpikingNetwork Build(Device device, int[] inputShape, Action<NetworkBuilder> build, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(build);
        var builder = new NetworkBuilder(device, seed);
        build(builder);
        return builder.Create(inputShape);
    }

    /// <summary>Forgets all neuron state; estimators call it at the start of every sequence.</summary>
    public void ResetState()
    {
        foreach (var l in layers) l.ResetState();
    }

    /// <summary>Runs layers [<paramref name="from"/>, <paramref name="to"/>) as they are on <paramref name="x"/>.</summary>
    /// <param name="from">First layer index.</param>
    /// <param name="to">One past the last layer index.</param>
    /// <param name="x">Input [N, ...] with N = <see cref="Pass.TimeSteps"/>·B.</param>
    /// <param name="pass">The pass.</param>
    /// <returns>The output of layer <paramref name="to"/> − 1 (a new tensor; a copy of <paramref name="x"/> for an empty range).</returns>
    public Tensor Run(int from, int to, Tensor x, Pass pass) =>
        RunLayers(from, to, x, (i, v) => layers[i].Forward(v, pass), FuseBatchNorm ? (i, v) => BatchNormNeuronFusion.TryForward(layers[i], layers[i + 1], v, pass) : null);

    /// <summary>
    /// Whether a BatchNorm directly followed by a neuron layer runs as one fused pass (see
    /// <see cref="BatchNormNeuronFusion"/>; the same results bit for bit, with two launches fewer per pair on GPUs and
    /// BatchNorm's output and x̂ never written) wherever both run as
    /// they are: in <see cref="Forward"/>, <see cref="Run"/> and the methods that fold time into the batch (bptt,
    /// tt-lbptt). True by default; false runs every layer on its own.
    /// </summary>
    public bool FuseBatchNorm { get; set; } = true;

    /// <summary>
    /// Runs layers [<paramref name="from"/>, <paramref name="to"/>) through <paramref name="forward"/> (layer index,
    /// input → output), freeing each intermediate output once the next layer has consumed it.
    /// </summary>
    /// <param name="from">First layer index.</param>
    /// <param name="to">One past the last layer index.</param>
    /// <param name="x">Input.</param>
    /// <param name="forward">How layer i runs (the layer itself, or a method's adapter around it).</param>
    /// <param name="forwardPair">
    /// Runs layers i and i + 1 (both in the range) as one and returns their output, or returns null when they do not
    /// fuse; null: every layer on its own.
    /// </param>
    /// <returns>The last output (a new tensor; a copy of <paramref name="x"/> for an empty range).</returns>
    internal static Tensor RunLayers(int from, int to, Tensor x, Func<int, Tensor, Tensor> forward, Func<int, Tensor, Tensor?>? forwardPair = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(forward);
        var current = x;
        bool ownsCurrent = false;
        for (int i = from; i < to; i++)
        {
            var next = i + 1 < to ? forwardPair?.Invoke(i, current) : null;
            if (next is not null) i++;
            else next = forward(i, current);
            if (ownsCurrent) current.Dispose();
            current = next;
            ownsCurrent = true;
        }
        return ownsCurrent ? current : Ops.Clone(current);
    }

    /// <summary>Runs a whole sequence [T, B, ...] with time folded into the batch (state reset first).</summary>
    /// <param name="sequence">Input [T, B, ...].</param>
    /// <param name="training">Training mode (batch statistics, dropout).</param>
    /// <param name="onSpikes">Observer of the spikes of every neuron layer (e.g. to measure firing rates), or null.</param>
    /// <returns>The read-out [T, B, classes].</returns>
    public Tensor Forward(Tensor sequence, bool training = false, Action<NeuronLayer, Tensor>? onSpikes = null)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        using var exclusive = EnterExclusive("Forward");
        int t = sequence.Dim(0), b = sequence.Dim(1);
        ResetState();
        using var folded = sequence.Reshape([t * b, .. InputShape]);
        using var logits = Run(0, layers.Count, folded, new Pass { Training = training, TimeSteps = t, BatchSize = b, OnSpikes = onSpikes });
        return logits.Reshape(t, b, Classes);
    }

    /// <summary>
    /// Claims the network for the calling thread until the returned handle is disposed (re-entrant on that thread).
    /// Neuron state, gradients and the tape are per network, so a second thread is refused instead of corrupting them.
    /// </summary>
    /// <param name="operation">The caller's name, used in the message when another thread holds the network.</param>
    /// <returns>The claim; disposing it releases the network.</returns>
    /// <exception cref="InvalidOperationException">Another thread is running the network.</exception>
    public IDisposable EnterExclusive(string operation)
    {
        int me = Environment.CurrentManagedThreadId;
        int holder = Interlocked.CompareExchange(ref owner, me, 0);
        if (holder != 0 && holder != me)
            throw new InvalidOperationException($"SpikingNetwork.{operation}: the network is in use by another thread (managed thread {holder}); one network runs on one thread at a time.");
        depth++;
        return new Exclusive(this);
    }

    private sealed class Exclusive(SpikingNetwork network) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            if (--network.depth == 0) Volatile.Write(ref network.owner, 0);
        }
    }

    /// <summary>Frees every layer's parameters, buffers and state.</summary>
    public void Dispose()
    {
        foreach (var l in layers) l.Dispose();
    }
}
