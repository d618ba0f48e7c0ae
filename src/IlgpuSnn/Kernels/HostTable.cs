namespace IlgpuSnn.Kernels;

/// <summary>
/// A pinned table of buffers for a host-pointer kernel that covers several of them in ONE launch on the CPU
/// accelerator (every launch costs a hand-off to the workers): each entry is a length followed by up to
/// <see cref="HostSegments.PayloadLongs"/> payload longs (addresses, flags), and the workers split the entries' lengths laid end to end as
/// <see cref="GridStride.Chunk"/> splits one range (<see cref="HostSegments.Share"/>). The table also holds a counter of
/// finished workers (<see cref="HostSegments.LastToFinish"/>). The launch may only be recorded
/// (<see cref="Runtime.HostLaunchQueue"/>), so the caller keeps the table alive until the kernel has run
/// (<see cref="Runtime.KernelCache.KeepAlive"/>).
/// </summary>
internal sealed class HostTable
{
    /// <summary>The finished-worker counter, then <see cref="HostSegments.Stride"/> longs per entry: its length, then its payload.</summary>
    private readonly long[] longs;
    private int entries;

    /// <summary>An empty table with room for <paramref name="capacity"/> entries.</summary>
    public HostTable(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        longs = GC.AllocateArray<long>(HostSegments.Header + (capacity * HostSegments.Stride), pinned: true);
    }

    /// <summary>The sum of the entries' lengths: the range the workers split.</summary>
    public long Total { get; private set; }

    /// <summary>Appends an entry of <paramref name="length"/> items and returns its payload to fill.</summary>
    public Span<long> Add(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int at = HostSegments.Header + (entries * HostSegments.Stride);
        if (at + HostSegments.Stride > longs.Length) throw new InvalidOperationException($"HostTable: all {entries} entries are taken.");
        entries++;
        longs[at] = length;
        Total += length;
        return longs.AsSpan(at + 1, HostSegments.PayloadLongs);
    }

    /// <summary>The kernel argument that reads this table.</summary>
    public HostSegments Segments => new(HostMemory.Address(longs), entries, Total);
}

/// <summary>
/// The kernel side of a <see cref="HostTable"/> (a plain kernel argument): a worker walks the pieces of its share with
/// <c>foreach (var piece in segments.Share())</c>, each piece one entry's items [Lo, Hi).
/// </summary>
/// <param name="Address">Host address of the table.</param>
/// <param name="Entries">Number of entries.</param>
/// <param name="Total">Sum of the entries' lengths.</param>
internal readonly record struct HostSegments(long Address, int Entries, long Total)
{
    /// <summary>Longs before the first entry: the finished-worker counter.</summary>
    internal const int Header = 1;

    /// <summary>
    /// Longs per entry: its length and <see cref="PayloadLongs"/> payload longs (a constant, so that the walk keeps no
    /// stride in a register beside the element loop's).
    /// </summary>
    internal const int Stride = 8;

    /// <summary>The most payload longs an entry holds.</summary>
    internal const int PayloadLongs = Stride - 1;

    /// <summary>This worker's pieces: its <see cref="GridStride.Chunk"/> of [0, <see cref="Total"/>).</summary>
    public Pieces Share()
    {
        var (start, end) = GridStride.Chunk(Total);
        return Range(start, end);
    }

    /// <summary>The pieces of items [<paramref name="start"/>, <paramref name="end"/>) of the entries laid end to end, cut at entry boundaries, empty pieces left out.</summary>
    public unsafe Pieces Range(long start, long end) => new((long*)Address + Header, Entries, start, end);

    /// <summary>The payload of entry <paramref name="entry"/> (for work per entry, such as the end of a step).</summary>
    public unsafe long* Payload(int entry) => (long*)Address + Header + ((long)entry * Stride) + 1;

    /// <summary>Counts this worker as finished; true for exactly one worker, the last (every other one has finished its share by then).</summary>
    public bool LastToFinish() => HostMemory.LastToFinish(Address);

    /// <summary>The pieces of one worker's share, in entry order: its own enumerator, so <c>foreach</c> allocates nothing.</summary>
    internal unsafe struct Pieces
    {
        private readonly long start, end;
        private readonly long* last;
        private long* entry;
        private long offset;
        private Piece current;

        /// <summary>The pieces of [<paramref name="start"/>, <paramref name="end"/>) over <paramref name="entries"/> entries from <paramref name="first"/>.</summary>
        public Pieces(long* first, int entries, long start, long end)
        {
            this.start = start;
            this.end = end;
            last = first + ((long)entries * Stride);
            entry = first;
            offset = 0;
            current = default;
        }

        /// <summary>The current piece.</summary>
        public readonly Piece Current => current;

        /// <summary>The range enumerates itself.</summary>
        public readonly Pieces GetEnumerator() => this;

        /// <summary>Moves to the next non-empty piece.</summary>
        /// <returns>Whether there is one.</returns>
        public bool MoveNext()
        {
            while (entry < last && offset < end)
            {
                long n = entry[0];
                long lo = Math.Max(start, offset) - offset, hi = Math.Min(end, offset + n) - offset;
                long* payload = entry + 1;
                offset += n;
                entry += Stride;
                if (lo < hi)
                {
                    current = new Piece(payload, n, lo, hi);
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>Items [<see cref="Lo"/>, <see cref="Hi"/>) of one entry of <see cref="Length"/> items, with the entry's payload.</summary>
    internal readonly unsafe struct Piece
    {
        private readonly long* payload;

        /// <summary>A piece of the entry whose payload starts at <paramref name="payload"/>.</summary>
        public Piece(long* payload, long length, long lo, long hi)
        {
            this.payload = payload;
            Length = length;
            Lo = lo;
            Hi = hi;
        }

        /// <summary>The entry's length.</summary>
        public long Length { get; }

        /// <summary>The first item of the piece within the entry.</summary>
        public long Lo { get; }

        /// <summary>One past the last item of the piece within the entry.</summary>
        public long Hi { get; }

        /// <summary>Payload long <paramref name="k"/>.</summary>
        public long this[int k] => payload[k];

        /// <summary>Payload long <paramref name="k"/> read as the address of floats.</summary>
        public float* Floats(int k) => (float*)payload[k];
    }
}
