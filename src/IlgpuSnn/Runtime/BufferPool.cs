using ILGPU;
using ILGPU.Runtime;

namespace IlgpuSnn.Runtime;

/// <summary>
/// A caching allocator. Requests are rounded up to a size class (at most 12.5% larger, 256 B minimum); freed blocks
/// stay cached per class and are reused, so steady-state training performs no device allocation.
/// The counters are maintained by the pool itself and are therefore exact on every device:
/// <see cref="LiveBytes"/> and <see cref="PeakBytes"/> count the bytes requested by live tensors (not the rounding),
/// <see cref="ReservedBytes"/> the device memory the pool holds (live and cached blocks, with rounding).
/// On the CPU accelerator under Linux, blocks of at least one huge page start on a huge-page boundary and are advised to
/// be backed by huge pages (<see cref="HugePages"/>): the first iteration of a run no longer pays a page fault per 4 KB.
/// </summary>
public sealed class BufferPool : IDisposable
{
    private const long MinClassFloats = 64;
    private const long FineLimitFloats = 1L << 18;
    private const long FineStepFloats = 128;

    private readonly Accelerator accelerator;
    private readonly Action? runQueued;
    private readonly Dictionary<long, Stack<PoolBlock>> cached = [];
    private readonly bool hostHugePages;
    private readonly Lock gate = new();
    private long liveBytes;
    private long peakBytes;
    private long reservedBytes;
    private long deviceAllocations;
    private bool disposed;

    /// <summary>A pool of <paramref name="accelerator"/>'s memory; <paramref name="runQueued"/> runs the kernels still recorded (which may read a cached block) before blocks are freed.</summary>
    internal BufferPool(Accelerator accelerator, Action? runQueued = null)
    {
        this.accelerator = accelerator;
        this.runQueued = runQueued;
        hostHugePages = accelerator.AcceleratorType == AcceleratorType.CPU && HugePages.Available;
    }

    /// <summary>Bytes requested by tensors that are alive now.</summary>
    public long LiveBytes { get { lock (gate) return liveBytes; } }

    /// <summary>The largest <see cref="LiveBytes"/> seen since creation or the last <see cref="ResetPeak"/>.</summary>
    public long PeakBytes { get { lock (gate) return peakBytes; } }

    /// <summary>Device bytes held by the pool: blocks in use plus cached blocks, rounded to their size class.</summary>
    public long ReservedBytes { get { lock (gate) return reservedBytes; } }

    /// <summary>How many times the pool asked the device for memory.</summary>
    public long DeviceAllocations { get { lock (gate) return deviceAllocations; } }

    /// <summary>Sets <see cref="PeakBytes"/> to the current <see cref="LiveBytes"/>.</summary>
    public void ResetPeak()
    {
        lock (gate) peakBytes = liveBytes;
    }

    /// <summary>Returns every cached (unused) block to the device.</summary>
    public void ReleaseCached()
    {
        runQueued?.Invoke();
        lock (gate)
        {
            foreach (var stack in cached.Values)
            {
                while (stack.TryPop(out var block))
                {
                    reservedBytes -= block.Floats * sizeof(float);
                    block.Free();
                }
            }
            cached.Clear();
        }
    }

    /// <summary>The size class, in floats, that a request of <paramref name="floats"/> is served from.</summary>
    /// <param name="floats">The requested number of floats.</param>
    /// <returns>The number of floats of the block that serves the request.</returns>
    public static long SizeClass(long floats)
    {
        if (floats <= MinClassFloats) return MinClassFloats;
        if (floats <= FineLimitFloats) return (floats + FineStepFloats - 1) / FineStepFloats * FineStepFloats;
        long power = 1L << (63 - (int)long.LeadingZeroCount(floats));
        long step = power / 8;
        return (floats + step - 1) / step * step;
    }

    internal Storage Rent(long floats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(floats);
        long size = SizeClass(floats);
        PoolBlock? block = null;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (cached.TryGetValue(size, out var stack)) stack.TryPop(out block);
            if (block is null)
            {
                deviceAllocations++;
                reservedBytes += size * sizeof(float);
            }
            liveBytes += floats * sizeof(float);
            peakBytes = Math.Max(peakBytes, liveBytes);
        }
        if (block is null)
        {
            try
            {
                block = Allocate(size);
            }
            catch
            {
                lock (gate)
                {
                    reservedBytes -= size * sizeof(float);
                    liveBytes -= floats * sizeof(float);
                }
                throw;
            }
        }
        return new Storage(this, block, floats);
    }

    internal void Return(PoolBlock block, long floats)
    {
        lock (gate)
        {
            liveBytes -= floats * sizeof(float);
            if (disposed)
            {
                block.Free();
                return;
            }
            if (!cached.TryGetValue(block.Floats, out var stack)) cached[block.Floats] = stack = new();
            stack.Push(block);
        }
    }

    /// <summary>
    /// A new block of <paramref name="size"/> floats. On the CPU accelerator a block of at least one huge page gets
    /// two huge pages more than it needs (address space only: they are never touched), starts at the first huge-page
    /// boundary inside and is advised huge pages up to its last (partly used) huge page.
    /// </summary>
    private PoolBlock Allocate(long size)
    {
        long bytes = size * sizeof(float);
        if (!hostHugePages || bytes < HugePages.Bytes) return new PoolBlock(accelerator.Allocate1D<float>(size), 0, size);
        var buffer = accelerator.Allocate1D<float>(size + (2 * HugePages.Bytes / sizeof(float)));
        long address = ((ArrayView<float>)buffer.View).LoadEffectiveAddressAsPtr().ToInt64();
        long aligned = HugePages.AlignUp(address, HugePages.Bytes);
        HugePages.Advise((nint)aligned, HugePages.AlignUp(bytes, HugePages.Bytes));
        return new PoolBlock(buffer, (aligned - address) / sizeof(float), size);
    }

    /// <summary>Frees all cached blocks; blocks still in use are freed when their tensors are disposed.</summary>
    public void Dispose()
    {
        ReleaseCached();
        lock (gate) disposed = true;
    }
}
