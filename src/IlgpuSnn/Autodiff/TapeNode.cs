using IlgpuSnn.Runtime;

namespace IlgpuSnn.Autodiff;

/// <summary>One recorded operation: its inputs and outputs (identities only), its backward, and what it keeps.</summary>
internal sealed class TapeNode(string operation, Tensor?[] inputs, Tensor[] outputs, BackwardFunction backward, Tensor[] saved) : IDisposable
{
    public string Operation { get; } = operation;

    public Tensor?[] Inputs { get; } = inputs;

    public Tensor[] Outputs { get; } = outputs;

    public BackwardFunction Backward { get; } = backward;

    public Tensor[] Saved { get; } = saved;

    public void Dispose()
    {
        foreach (var s in Saved) s.Dispose();
    }
}
