using ILGPU;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The one grid-stride loop of the library's kernels. A kernel launched with the grid of
/// <see cref="Runtime.LaunchPlan.GridStride"/> writes <c>foreach (long i in GridStride.Over(n)) ...</c>: each thread
/// visits items <c>GlobalIndex, GlobalIndex + stride, ...</c> below <c>n</c>, where stride is the number of threads in
/// the grid, so any grid the plan chooses covers every item exactly once. Host-pointer kernels (CPU accelerator only)
/// take one contiguous piece per thread with <see cref="Chunk"/> instead, so that each thread walks its memory in order.
/// Plain struct code: it compiles in ILGPU for the CPU accelerator, PTX and OpenCL C.
/// </summary>
internal static class GridStride
{
    /// <summary>This thread's index in the whole grid.</summary>
    public static long Thread => Grid.GlobalIndex.X;

    /// <summary>Threads in the whole grid (the stride of the loop).</summary>
    public static long Threads => (long)Grid.DimX * Group.DimX;

    /// <summary>The items of [0, <paramref name="count"/>) this thread visits in a grid-stride loop.</summary>
    /// <param name="count">Number of items the whole grid covers.</param>
    /// <returns>A range to <c>foreach</c> over.</returns>
    public static Indices Over(long count) => new(Thread, Threads, count);

    /// <summary>
    /// This thread's contiguous piece [start, end) of [0, <paramref name="count"/>) when the items are split into
    /// <see cref="Threads"/> pieces of equal length (the last ones shorter or empty).
    /// </summary>
    /// <param name="count">Number of items the whole grid covers.</param>
    /// <returns>The first item of the piece and one past its last (start ≥ end when the piece is empty).</returns>
    public static (long Start, long End) Chunk(long count)
    {
        long threads = Threads;
        long chunk = (count + threads - 1) / threads;
        long start = Thread * chunk;
        return (start, Math.Min(count, start + chunk));
    }

    /// <summary>
    /// Worker <paramref name="thread"/>'s contiguous share [start, end) of [0, <paramref name="count"/>) for host
    /// kernels that are handed their worker index (<see cref="HostGemm"/>, <see cref="HostSpikeGemm"/>): the items are
    /// cut into units of <paramref name="unit"/> (the last one shorter), and every worker gets the same number of whole
    /// units, the last workers fewer or none. Shares start on a multiple of <paramref name="unit"/>, so a worker's
    /// register blocks never straddle another's, and no two shares overlap.
    /// </summary>
    /// <param name="count">Number of items all workers cover together.</param>
    /// <param name="unit">Items per indivisible unit (a register-block strip, a vector group); at least 1.</param>
    /// <param name="thread">This worker's index, 0 ≤ thread &lt; threads.</param>
    /// <param name="threads">Number of workers.</param>
    /// <returns>The first item of the share and one past its last (start ≥ end when the share is empty).</returns>
    public static (int Start, int End) Share(int count, int unit, int thread, int threads)
    {
        int units = (count + unit - 1) / unit;
        int per = (units + threads - 1) / threads;
        return ((int)Math.Min(count, (long)thread * per * unit), (int)Math.Min(count, (long)(thread + 1) * per * unit));
    }

    /// <summary>The indices first, first + step, ... below end: its own enumerator, so <c>foreach</c> allocates nothing.</summary>
    internal struct Indices
    {
        private readonly long step;
        private readonly long end;
        private long current;

        /// <summary>A range starting at <paramref name="first"/>.</summary>
        public Indices(long first, long step, long end)
        {
            this.step = step;
            this.end = end;
            current = first - step;
        }

        /// <summary>The current index.</summary>
        public readonly long Current => current;

        /// <summary>The range enumerates itself.</summary>
        /// <returns>A copy of this range, positioned before its first index.</returns>
        public readonly Indices GetEnumerator() => this;

        /// <summary>Moves to the next index.</summary>
        /// <returns>Whether the index is still below the end.</returns>
        public bool MoveNext()
        {
            current += step;
            return current < end;
        }
    }
}
