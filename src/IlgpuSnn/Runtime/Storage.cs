using ILGPU;
using ILGPU.Runtime;

namespace IlgpuSnn.Runtime;

/// <summary>
/// A reference-counted pool block shared by a tensor and its views; the block returns to the pool when the last
/// tensor using it is disposed.
/// </summary>
internal sealed class Storage
{
    private readonly BufferPool pool;
    private PoolBlock? block;
    private int references = 1;

    public Storage(BufferPool pool, PoolBlock block, long floats)
    {
        this.pool = pool;
        this.block = block;
        Floats = floats;
        View = block.View.SubView(0, floats);
    }

    /// <summary>Elements requested (the buffer may be larger: its size class).</summary>
    public long Floats { get; }

    /// <summary>The requested part of the buffer.</summary>
    public ArrayView<float> View { get; }

    /// <summary>Bytes this storage counts in the pool.</summary>
    public long Bytes => Floats * sizeof(float);

    /// <summary>Whether more than one tensor uses this memory now.</summary>
    public bool IsShared => Volatile.Read(ref references) > 1;

    public void AddReference()
    {
        if (Interlocked.Increment(ref references) <= 1)
            throw new ObjectDisposedException(nameof(Storage), "A tensor's memory was used after it was freed.");
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref references) != 0) return;
        var b = Interlocked.Exchange(ref block, null);
        if (b is not null) pool.Return(b, Floats);
    }
}
