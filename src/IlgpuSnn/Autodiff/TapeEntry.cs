using IlgpuSnn.Runtime;

namespace IlgpuSnn.Autodiff;

/// <summary>
/// One differentiable operation being recorded: the one way an operation writes itself on the tape. The operation
/// computes its forward, asks <see cref="Tape.Begin"/> for an entry (null when no tape records or no input requires a
/// gradient), keeps what its backward reads with <see cref="Keep"/> and appends its node with <see cref="Complete(Tensor[], BackwardFunction)"/>:
/// <code>
/// var y = Forward(x, w);
/// if (Tape.Begin("MyOp", x, w) is not { } entry) return y;
/// var keptX = w.RequiresGrad ? entry.Keep(x) : null;
/// entry.Complete(y, g => [BackwardX(g[0]!), BackwardW(g[0]!, keptX)]);
/// return y;
/// </code>
/// The kept tensors belong to the node: they are released when the backward consumed it or the tape is cleared.
/// </summary>
public sealed class TapeEntry
{
    private readonly Tape tape;
    private readonly string operation;
    private readonly Tensor?[] inputs;
    private readonly List<Tensor> kept = [];
    private bool completed;

    internal TapeEntry(Tape tape, string operation, Tensor?[] inputs)
    {
        this.tape = tape;
        this.operation = operation;
        this.inputs = inputs;
    }

    /// <summary>
    /// Keeps <paramref name="tensor"/>'s memory for the backward: the returned handle shares its storage, belongs to no
    /// scope and is released with the node.
    /// </summary>
    /// <param name="tensor">A tensor the backward reads.</param>
    /// <returns>The handle the backward reads instead of <paramref name="tensor"/>.</returns>
    /// <exception cref="InvalidOperationException">The entry is already complete.</exception>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        RequireOpen();
        Tensor handle;
        using (TensorScope.Suspend()) handle = tensor.Detach();
        kept.Add(handle);
        return handle;
    }

    /// <summary>Appends the operation with one output; see <see cref="Complete(Tensor[], BackwardFunction)"/>.</summary>
    /// <param name="output">The output; it becomes a non-leaf tensor that requires gradients.</param>
    /// <param name="backward">The input gradients from the output gradient (one entry per input of <see cref="Tape.Begin"/>).</param>
    /// <exception cref="InvalidOperationException">The entry is already complete.</exception>
    public void Complete(Tensor output, BackwardFunction backward) => Complete([output], backward);

    /// <summary>
    /// Appends the operation's node to the tape with the tensors kept so far. The outputs become non-leaf tensors that
    /// require gradients.
    /// </summary>
    /// <param name="outputs">The outputs, in the order the backward receives their gradients.</param>
    /// <param name="backward">The input gradients from the output gradients (one entry per input of <see cref="Tape.Begin"/>).</param>
    /// <exception cref="InvalidOperationException">The entry is already complete.</exception>
    public void Complete(Tensor[] outputs, BackwardFunction backward)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(backward);
        RequireOpen();
        completed = true;
        tape.Add(operation, inputs, outputs, backward, [.. kept]);
    }

    private void RequireOpen()
    {
        if (completed) throw new InvalidOperationException($"{operation}: the tape entry is already complete.");
    }
}
