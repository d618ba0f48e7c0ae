namespace IlgpuSnn.Runtime;

/// <summary>
/// Counts multiply-accumulate operations issued by GEMM and convolution launches, split into forward and backward
/// work, so that estimators can report their compute cost.
/// </summary>
public sealed class MacCounter
{
    private long forward;
    private long backward;

    /// <summary>MACs counted while not inside a backward pass.</summary>
    public long Forward => Interlocked.Read(ref forward);

    /// <summary>MACs counted inside a tape backward pass.</summary>
    public long Backward => Interlocked.Read(ref backward);

    /// <summary>Sets both counters to zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref forward, 0);
        Interlocked.Exchange(ref backward, 0);
    }

    internal void Add(long macs)
    {
        if (Autodiff.Tape.InBackward) Interlocked.Add(ref backward, macs);
        else Interlocked.Add(ref forward, macs);
    }
}
