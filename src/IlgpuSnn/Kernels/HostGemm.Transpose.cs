using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The transposing copy that packing does when an operand runs along the inner dimension in memory but the register
/// block wants it across (A stored [m, k] into MR-tall strips, B stored [n, k] into NR-wide strips): in 8x8 and 4x4
/// blocks transposed in registers, where a scalar copy writes every element to its own cache line of the strip.
/// </summary>
internal static unsafe partial class HostGemm
{
    /// <summary>dst[p·ldd + r] = src[r·lds + p] for r &lt; rows, p &lt; cols.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeInto(float* src, long lds, float* dst, int ldd, int rows, int cols)
    {
        int r = 0;
        if (Avx.IsSupported)
        {
            for (; r + 8 <= rows; r += 8)
            {
                int p = 0;
                for (; p + 8 <= cols; p += 8) Transpose8x8(src + r * lds + p, lds, dst + (long)p * ldd + r, ldd);
                ScalarTranspose(src + r * lds + p, lds, dst + (long)p * ldd + r, ldd, 8, cols - p);
            }
            for (; r + 4 <= rows; r += 4)
            {
                int p = 0;
                for (; p + 4 <= cols; p += 4) Transpose4x4(src + r * lds + p, lds, dst + (long)p * ldd + r, ldd);
                ScalarTranspose(src + r * lds + p, lds, dst + (long)p * ldd + r, ldd, 4, cols - p);
            }
        }
        ScalarTranspose(src + r * lds, lds, dst + r, ldd, rows - r, cols);
    }

    private static void ScalarTranspose(float* src, long lds, float* dst, int ldd, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            float* row = src + r * lds;
            for (int p = 0; p < cols; p++) dst[(long)p * ldd + r] = row[p];
        }
    }

    /// <summary>The 8x8 block at src (row stride lds) transposed to dst (row stride ldd), with AVX shuffles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, long lds, float* dst, int ldd)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds);
        var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds);
        var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds);
        var r7 = Avx.LoadVector256(src + 7 * lds);
        // t: two rows interleaved per 128-bit half; u: elements q and q + 4 of four rows; the permutes join the halves of
        // rows 0-3 and 4-7, so output row q is column q of the block.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2L * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3L * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4L * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5L * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6L * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7L * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>The 4x4 block at src (row stride lds) transposed to dst (row stride ldd), with SSE shuffles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* src, long lds, float* dst, int ldd)
    {
        var r0 = Sse.LoadVector128(src);
        var r1 = Sse.LoadVector128(src + lds);
        var r2 = Sse.LoadVector128(src + 2 * lds);
        var r3 = Sse.LoadVector128(src + 3 * lds);
        var t0 = Sse.UnpackLow(r0, r1);
        var t1 = Sse.UnpackLow(r2, r3);
        var t2 = Sse.UnpackHigh(r0, r1);
        var t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(dst, Sse.MoveLowToHigh(t0, t1));
        Sse.Store(dst + ldd, Sse.MoveHighToLow(t1, t0));
        Sse.Store(dst + 2L * ldd, Sse.MoveLowToHigh(t2, t3));
        Sse.Store(dst + 3L * ldd, Sse.MoveHighToLow(t3, t2));
    }
}
