using System.Runtime.InteropServices;

namespace IlgpuSnn.Runtime;

/// <summary>
/// Asks Linux to back large host blocks with transparent huge pages (madvise MADV_HUGEPAGE) where the kernel leaves that
/// to each process (THP mode "madvise", Debian's default). The first write to each 4 KB page of fresh memory is a page
/// fault; on the 2-core CI VM one costs about 15 µs (touching 128 MB: 500 ms with 4 KB pages, 11 ms with 2 MB pages),
/// which made a training run's first iteration 0.4-1 s slower than the next. A hint only: where madvise is missing or
/// refuses (other systems, THP off), memory stays as it was.
/// </summary>
internal static unsafe class HugePages
{
    /// <summary>The huge page size the hint aims at: 2 MB, x86-64's and arm64's (4 KB base pages) PMD size.</summary>
    public const long Bytes = 2L << 20;

    private const int MadviseHugePage = 14;

    private static readonly delegate* unmanaged<nint, nuint, int, int> Madvise = Load();

    /// <summary>Whether the hint can be given on this system (Linux with a libc exporting madvise).</summary>
    public static bool Available => Madvise != null;

    /// <summary>
    /// Advises huge pages for the whole 2 MB pages inside [<paramref name="start"/>, <paramref name="start"/> +
    /// <paramref name="length"/>); returns the bytes advised (0 where nothing was, or the system refused).
    /// </summary>
    public static long Advise(nint start, long length)
    {
        if (Madvise == null || length <= 0) return 0;
        long first = AlignUp(start, Bytes), end = (start + length) / Bytes * Bytes;
        if (end <= first) return 0;
        return Madvise((nint)first, (nuint)(end - first), MadviseHugePage) == 0 ? end - first : 0;
    }

    /// <summary>The first multiple of <paramref name="alignment"/> at or above <paramref name="address"/>.</summary>
    public static long AlignUp(long address, long alignment) => (address + alignment - 1) / alignment * alignment;

    private static delegate* unmanaged<nint, nuint, int, int> Load()
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc)) return null;
        return NativeLibrary.TryGetExport(libc, "madvise", out var madvise) ? (delegate* unmanaged<nint, nuint, int, int>)madvise : null;
    }
}
