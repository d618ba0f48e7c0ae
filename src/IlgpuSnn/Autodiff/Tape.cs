using IlgpuSnn.Runtime;

namespace IlgpuSnn.Autodiff;

/// <summary>Computes the gradients of a node's inputs from the gradients of its outputs (null = no gradient).</summary>
/// <param name="outputGrads">One entry per output; null where no gradient reached that output.</param>
/// <returns>One entry per input; null where the input needs no gradient.</returns>
public delegate Tensor?[] BackwardFunction(Tensor?[] outputGrads);

/// <summary>
/// Reverse-mode automatic differentiation. While a tape is recording (<see cref="Record"/>), every operation whose
/// inputs require gradients appends a node that keeps only what its backward needs (through a
/// <see cref="TapeEntry"/>, the one recording mechanism). Estimators decide which graph
/// edges exist by what they let the tape see: <see cref="Tensor.Detach"/> cuts an edge, <see cref="NoGrad"/> runs
/// without recording. <see cref="Backward(Tensor, Tensor?)"/> accumulates into the <see cref="Tensor.Grad"/> of leaves, so several
/// backward calls add up.
/// </summary>
public sealed class Tape : IDisposable
{
    [ThreadStatic] private static Tape? recording;
    [ThreadStatic] private static int backwardDepth;
    [ThreadStatic] private static List<(Tensor Leaf, Tensor Gradient)>? waitingLeafAdds;

    private readonly List<TapeNode> nodes = [];

    /// <summary>The tape recording on this thread, or null.</summary>
    public static Tape? Recording => recording;

    /// <summary>True while a backward pass runs on this thread (used to split MAC counts).</summary>
    public static bool InBackward => backwardDepth > 0;

    /// <summary>
    /// Inside a backward pass on this thread: the <see cref="Tensor.Grad"/> of <paramref name="input"/> when the backward
    /// function of an operation may add the input's gradient into it directly (a leaf that requires a gradient and
    /// already has one from an earlier pass or step), so that it returns null for that input instead of a new tensor:
    /// one product with beta = 1 (a weight gradient) instead of the product, a temporary and an addition. Additions of
    /// this pass still waiting for the leaf are made first, so each leaf's gradients add up in order. Null otherwise;
    /// then the function returns the gradient as usual.
    /// </summary>
    /// <param name="input">An input of the operation whose backward runs.</param>
    /// <returns>The gradient to add into, or null.</returns>
    public static Tensor? AccumulationTarget(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var waiting = waitingLeafAdds;
        if (waiting is null || input.HasProducer || !input.RequiresGrad || input.Grad is not { } grad || grad.Length != input.Length) return null;
        AddWaiting(input, waiting);
        return grad;
    }

    /// <summary>Number of recorded nodes.</summary>
    public int NodeCount => nodes.Count;

    /// <summary>Bytes of the tensors the recorded nodes keep for their backward (each memory block counted once).</summary>
    public long SavedBytes
    {
        get
        {
            var seen = new HashSet<Storage>(ReferenceEqualityComparer.Instance);
            long bytes = 0;
            foreach (var n in nodes)
                foreach (var s in n.Saved)
                    if (seen.Add(s.Storage)) bytes += s.Storage.Bytes;
            return bytes;
        }
    }

    /// <summary>Starts recording on this thread until the returned handle is disposed.</summary>
    /// <returns>A handle that restores the previous recording state when disposed.</returns>
    public IDisposable Record()
    {
        var previous = recording;
        recording = this;
        return new Restore(previous);
    }

    /// <summary>Stops any recording on this thread until the returned handle is disposed.</summary>
    /// <returns>A handle that restores the previous recording state when disposed.</returns>
    public static IDisposable NoGrad()
    {
        var previous = recording;
        recording = null;
        return new Restore(previous);
    }

    /// <summary>
    /// Starts recording one differentiable operation on the tape of this thread (see <see cref="TapeEntry"/>).
    /// </summary>
    /// <param name="operation">The operation's name, shown in errors of its backward.</param>
    /// <param name="inputs">The operation's inputs (null where an optional input is absent), in the order its backward
    /// returns their gradients.</param>
    /// <returns>The entry, or null when no tape records on this thread or no input requires a gradient: then the
    /// operation records nothing.</returns>
    public static TapeEntry? Begin(string operation, params Tensor?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(inputs);
        if (recording is null) return null;
        foreach (var t in inputs)
            if (t is not null && t.RequiresGrad) return new TapeEntry(recording, operation, inputs);
        return null;
    }

    /// <summary>Appends a node that owns <paramref name="saved"/>; the outputs become non-leaf tensors that require gradients.</summary>
    internal void Add(string operation, Tensor?[] inputs, Tensor[] outputs, BackwardFunction backward, Tensor[] saved)
    {
        foreach (var o in outputs)
        {
            o.RequiresGrad = true;
            o.HasProducer = true;
        }
        nodes.Add(new TapeNode(operation, inputs, outputs, backward, saved));
    }

    /// <summary>
    /// Back-propagates from <paramref name="root"/> with the given output gradient (ones when null), adds the result
    /// to the <see cref="Tensor.Grad"/> of every leaf that requires gradients, and clears the tape.
    /// </summary>
    /// <param name="root">The tensor to differentiate (usually a scalar loss).</param>
    /// <param name="seed">The gradient of the final result with respect to <paramref name="root"/>, shaped like it; null for ones.</param>
    public void Backward(Tensor root, Tensor? seed = null) => Backward([root], [seed]);

    /// <summary>Back-propagates from several roots at once (seeds of ones where null), then clears the tape.</summary>
    /// <param name="roots">The tensors to differentiate together.</param>
    /// <param name="seeds">One gradient (or null for ones) per root, in the same order.</param>
    public void Backward(IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor?> seeds)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(seeds);
        if (roots.Count != seeds.Count) throw new ArgumentException("Backward: one seed (or null) per root is required.", nameof(seeds));
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        var leafAdds = new List<(Tensor Leaf, Tensor Gradient)>();
        backwardDepth++;
        var previous = recording;
        var previousWaiting = waitingLeafAdds;
        recording = null;
        waitingLeafAdds = leafAdds;
        try
        {
            using var scope = TensorScope.Begin();
            for (int i = 0; i < roots.Count; i++)
            {
                var root = roots[i];
                if (!root.RequiresGrad) continue;
                var seed = seeds[i];
                if (seed is not null && seed.Length != root.Length)
                    throw new ArgumentException($"Backward: seed {Tensor.Format(seed.Shape)} does not match root {Tensor.Format(root.Shape)}.");
                Accumulate(grads, root, seed is null ? Tensor.Full(root.Device, 1f, root.ShapeArray()) : seed.Detach());
            }
            for (int i = nodes.Count - 1; i >= 0; i--)
            {
                var node = nodes[i];
                var outGrads = new Tensor?[node.Outputs.Length];
                bool any = false;
                for (int j = 0; j < outGrads.Length; j++)
                {
                    if (grads.Remove(node.Outputs[j], out var g)) { outGrads[j] = g; any = true; }
                }
                if (any)
                {
                    var inGrads = node.Backward(outGrads);
                    if (inGrads.Length != node.Inputs.Length)
                        throw new InvalidOperationException($"{node.Operation}: backward returned {inGrads.Length} gradients for {node.Inputs.Length} inputs.");
                    foreach (var g in outGrads) g?.Dispose();
                    for (int j = 0; j < inGrads.Length; j++)
                    {
                        var input = node.Inputs[j];
                        var g = inGrads[j];
                        if (g is null) continue;
                        if (input is null || !input.RequiresGrad) { g.Dispose(); continue; }
                        if (g.Length != input.Length)
                            throw new InvalidOperationException($"{node.Operation}: gradient {Tensor.Format(g.Shape)} for input {Tensor.Format(input.Shape)}.");
                        if (input.HasProducer) Accumulate(grads, input, g);
                        else AccumulateLeaf(input, g, leafAdds);
                    }
                }
                node.Dispose();
                nodes.RemoveAt(i);
            }
            foreach (var pair in grads)
                if (!pair.Key.HasProducer) AccumulateLeaf(pair.Key, pair.Value, leafAdds);
            AddToLeaves(leafAdds);
        }
        finally
        {
            recording = previous;
            waitingLeafAdds = previousWaiting;
            backwardDepth--;
            Clear();
        }
    }

    /// <summary>Drops every node and the memory they keep, without a backward.</summary>
    public void Clear()
    {
        foreach (var n in nodes) n.Dispose();
        nodes.Clear();
    }

    /// <summary>Clears the tape.</summary>
    public void Dispose() => Clear();

    private static void Accumulate(Dictionary<Tensor, Tensor> grads, Tensor target, Tensor g)
    {
        if (grads.TryGetValue(target, out var existing))
        {
            // Out of place: backward functions may hand out views that share memory with other gradients.
            var sum = Tensor.Empty(target.Device, existing.ShapeArray());
            Kernels.Elementwise.Binary(target.Device, existing.View, g.View, sum.View, Kernels.BinaryOp.Add);
            existing.Dispose();
            g.Dispose();
            grads[target] = sum;
        }
        else
        {
            grads[target] = g;
        }
    }

    /// <summary>
    /// Adds <paramref name="g"/> (which this pass disposes) to the leaf's gradient. The first gradient of a leaf becomes its
    /// <see cref="Tensor.Grad"/>: taken over without a launch when no other tensor shares its memory (backward functions
    /// may hand out views that share memory with other gradients), copied otherwise. Later ones wait in
    /// <paramref name="leafAdds"/>, so that one launch adds them all (<see cref="AddToLeaves"/>, also run first when the
    /// leaf already waits, which keeps each leaf's additions in order).
    /// </summary>
    private static void AccumulateLeaf(Tensor leaf, Tensor g, List<(Tensor Leaf, Tensor Gradient)> leafAdds)
    {
        if (leaf.Grad is not null)
        {
            AddWaiting(leaf, leafAdds);
            leafAdds.Add((leaf, g));
            return;
        }
        using (TensorScope.Suspend())
        {
            Tensor grad;
            if (g.IsSoleView)
            {
                grad = g.AliasInternal(leaf.ShapeArray());
            }
            else
            {
                grad = Tensor.Empty(leaf.Device, leaf.ShapeArray());
                Kernels.Elementwise.Copy(leaf.Device, g.View, grad.View);
            }
            grad.Name = leaf.Name is null ? null : leaf.Name + ".grad";
            leaf.Grad = grad;
        }
        g.Dispose();
    }

    /// <summary>
    /// Makes the additions waiting in <paramref name="leafAdds"/> (all of them, in one launch) when one is for
    /// <paramref name="leaf"/>, so that what comes next for the leaf is added after them.
    /// </summary>
    private static void AddWaiting(Tensor leaf, List<(Tensor Leaf, Tensor Gradient)> leafAdds)
    {
        foreach (var (waiting, _) in leafAdds)
        {
            if (!ReferenceEquals(waiting, leaf)) continue;
            AddToLeaves(leafAdds);
            return;
        }
    }

    /// <summary>Adds every waiting gradient to its leaf's gradient in one launch per device, then frees them.</summary>
    private static void AddToLeaves(List<(Tensor Leaf, Tensor Gradient)> leafAdds)
    {
        while (leafAdds.Count > 0)
        {
            var device = leafAdds[0].Leaf.Device;
            var pairs = new List<Kernels.ElementwisePair>(leafAdds.Count);
            foreach (var (leaf, g) in leafAdds)
                if (ReferenceEquals(leaf.Device, device)) pairs.Add(new Kernels.ElementwisePair(leaf.Grad!.View, g.View, Replace: false));
            Kernels.Elementwise.AddPairs(device, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pairs));
            for (int i = leafAdds.Count - 1; i >= 0; i--)
            {
                if (!ReferenceEquals(leafAdds[i].Leaf.Device, device)) continue;
                leafAdds[i].Gradient.Dispose();
                leafAdds.RemoveAt(i);
            }
        }
    }

    private sealed class Restore(Tape? previous) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            recording = previous;
        }
    }
}
