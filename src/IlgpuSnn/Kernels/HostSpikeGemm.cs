using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ILGPU.Frontend;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The event-driven form of a fully connected layer's two products with its input x [rows, ins] (spikes after the first
/// layer): the forward y = alpha·x·Wᵀ + beta·y and the weight gradient dW = alpha·gᵀ·x + beta·dW visit only the
/// non-zero entries of x. Per row of x a worker lists the non-zero entries of one block of inputs (a vector compare,
/// no host read), then adds value × (a contiguous row of the transposed weight block) to the output row (forward), or
/// value × (the row of g) to the transposed gradient block (weight gradient). Zero entries contribute exact zeros to the
/// dense product, so the result is the dense one up to the order of the float sums; the value multiplies, so inputs
/// that are not 0/1 (pixels, pooled spikes, OTTT/SAF traces) are exact too. The one difference: a NaN or infinity of
/// W or g meeting only zeros of x is not spread (0·∞ is NaN in the dense product).
/// Each call first measures x's density on a sample of rows (inside the kernel, no host sync); at or above the
/// threshold the call runs the dense packed GEMM (<see cref="HostGemm.Compute"/>) instead. Every worker measures the
/// same sample, so all choose alike. Marked <see cref="ExternalAttribute"/> like <see cref="HostGemm"/>: ILGPU's
/// frontend cannot translate hardware intrinsics; the CPU accelerator calls it as ordinary .NET code. Never reached on
/// GPUs.
/// </summary>
internal static unsafe class HostSpikeGemm
{
    /// <summary>Floats per vector.</summary>
    private const int Lanes = 16;

    /// <summary>Output columns of one slab: up to 8 vector accumulators.</summary>
    private const int Slab = 8 * Lanes;

    /// <summary>Inputs per transposed weight block of the forward (a 512 x 128 block is 256 KB, in L2).</summary>
    private const int ForwardInputs = 512;

    /// <summary>Inputs per gradient block (a 64 x 128 accumulator tile, 32 KB, in L1).</summary>
    private const int GradientInputs = 64;

    /// <summary>Rows of x sampled to measure its density.</summary>
    private const int SampleRows = 32;

    /// <summary>
    /// Whether the event-driven form is on by default: where 512-bit vectors are accelerated (the crossover below was
    /// measured there); elsewhere every call runs the dense GEMM unless a caller forces a threshold.
    /// </summary>
    internal static bool Available { get; } = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>
    /// The forward's crossover: below this density it runs event-driven (<see cref="ForwardThreshold"/>). Measured on
    /// the 2-core AMD EPYC (benchmarks/RESULTS.md: event-driven 0.3-0.4x the dense time at 1-2 % density with 256
    /// outputs, about even at 40-50 %); the sparsity benchmark changes it to compare both forms.
    /// </summary>
    internal static float ForwardBelow { get; set; } = 0.4f;

    /// <summary>
    /// Listing the non-zero entries costs about as much per input entry as this many outputs' multiply-adds. It matters
    /// where the dense product is efficient even with few outputs: with a long inner dimension (ins ≥ 4·max(rows,
    /// outs)) the packed GEMM runs as dot products, with no padding of a 10-class read-out to a 32-wide register block
    /// (measured: 256 x 10 x 3136 even at 1 %, 1.3x slower at 2 %, while 256 x 10 x 256 ran 0.3x at 27 %).
    /// </summary>
    private const float ForwardScanOutputs = 4f;
    /// <summary>
    /// The density below which a weight gradient runs the event-driven form: 0 (always dense), because on the 2-core
    /// AMD EPYC it measured slower than the packed GEMM at every density, 0 % included (benchmarks/RESULTS.md: writing
    /// the transposed accumulators back costs about what the dense product does). The sparsity benchmark and tests
    /// set it to run the form.
    /// </summary>
    internal static float WeightGradientBelow { get; set; }

    /// <summary>The density below which a forward of x [rows, ins] with <paramref name="outs"/> outputs runs event-driven (≤ 0: never).</summary>
    internal static float ForwardThreshold(int rows, int outs, int ins) =>
        ins >= 4L * Math.Max(rows, outs) ? ForwardBelow - ForwardScanOutputs / outs : ForwardBelow;

    /// <summary>When set (diagnostics only), every worker's share of every call reports to it.</summary>
    internal static SpikeGemmProfile? Profile { get; set; }

    [ThreadStatic] private static float[]? blockBuffer;
    [ThreadStatic] private static float[]? activeValues;
    [ThreadStatic] private static int[]? activeIndices;

    /// <summary>
    /// Worker <paramref name="thread"/>'s share (of <paramref name="threads"/>) of y[rows, outs] = alpha·x·Wᵀ + beta·y,
    /// x [rows, ins], W [outs, ins], all row-major; event-driven when x's measured density is below
    /// <paramref name="eventDrivenBelow"/>, else the dense packed GEMM. The event form splits the outputs in whole
    /// 16-wide groups when there are at least as many groups as workers, else the rows. y is not read when beta is 0.
    /// </summary>
    [External("ilgpusnn_host_spike_forward")]
    internal static void Forward(float* x, float* w, float* y, int rows, int outs, int ins, float alpha, float beta,
        float eventDrivenBelow, int thread, int threads)
    {
        double start = Profile is null ? 0 : WorkerClock.Seconds();
        var (nonZero, sampled) = Density(x, rows, ins);
        bool eventDriven = nonZero < eventDrivenBelow * sampled;
        if (!eventDriven)
        {
            HostGemm.Compute(x, w, y, rows, outs, ins, false, true, alpha, beta, HostGemm.Wide, thread, threads, default, HostGemm.PlainForm);
        }
        else
        {
            int o0 = 0, o1 = outs, n0 = 0, n1 = rows;
            if ((outs + Lanes - 1) / Lanes >= threads) (o0, o1) = GridStride.Share(outs, Lanes, thread, threads);
            else (n0, n1) = GridStride.Share(rows, 1, thread, threads);
            if (o0 < o1 && n0 < n1) ForwardRectangle(x, w, y, outs, ins, alpha, beta, o0, o1, n0, n1);
        }
        Profile?.Add("forward", rows, outs, ins, eventDriven, WorkerClock.Seconds() - start, nonZero, sampled);
    }

    /// <summary>
    /// Worker <paramref name="thread"/>'s share of dW[outs, ins] = alpha·gᵀ·x + beta·dW, g [rows, outs], x [rows, ins];
    /// event-driven when x's measured density is below <paramref name="eventDrivenBelow"/>, else the dense packed GEMM.
    /// The event form splits the inputs (columns of dW) in blocks of <see cref="GradientInputs"/>. dW is not read when
    /// beta is 0.
    /// </summary>
    [External("ilgpusnn_host_spike_weight_gradient")]
    internal static void WeightGradient(float* g, float* x, float* dw, int rows, int outs, int ins, float alpha, float beta,
        float eventDrivenBelow, int thread, int threads)
    {
        double start = Profile is null ? 0 : WorkerClock.Seconds();
        var (nonZero, sampled) = Density(x, rows, ins);
        bool eventDriven = nonZero < eventDrivenBelow * sampled;
        if (!eventDriven)
        {
            HostGemm.Compute(g, x, dw, outs, ins, rows, true, false, alpha, beta, HostGemm.Wide, thread, threads, default, HostGemm.PlainForm);
        }
        else
        {
            var (i0, i1) = GridStride.Share(ins, GradientInputs, thread, threads);
            if (i0 < i1) WeightGradientRectangle(g, x, dw, rows, outs, ins, alpha, beta, i0, i1);
        }
        Profile?.Add("weight gradient", rows, outs, ins, eventDriven, WorkerClock.Seconds() - start, nonZero, sampled);
    }

    /// <summary>
    /// Non-zero entries (any bit pattern but ±0: NaN counts) among the sampled rows of x [rows, cols] and how many
    /// entries were sampled: all rows when there are at most <see cref="SampleRows"/>, else that many spread evenly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (long NonZero, long Sampled) Density(float* x, int rows, int cols)
    {
        int sample = Math.Min(rows, SampleRows);
        long nonZero = 0;
        for (int s = 0; s < sample; s++)
        {
            float* row = x + (long)((long)s * rows / sample) * cols;
            // Each lane counts its zeros (an all-ones compare result is -1), summed once per row.
            var zeros = Vector512<int>.Zero;
            int p = 0;
            for (; p + Lanes <= cols; p += Lanes)
                zeros -= Vector512.Equals(Vector512.Load(row + p), Vector512<float>.Zero).AsInt32();
            nonZero += p - Vector512.Sum(zeros);
            for (; p < cols; p++) nonZero += row[p] == 0f ? 0 : 1;
        }
        return (nonZero, (long)sample * cols);
    }

    /// <summary>
    /// Lists the non-zero entries of row[0, length): their positions in <paramref name="indices"/> and values in
    /// <paramref name="values"/>, in increasing position; returns how many. With AVX-512 each vector of 16 entries
    /// is compressed in registers (a vector of zeros, most of a spike row, costs one compare); both lists need
    /// <see cref="Lanes"/> entries of slack beyond <paramref name="length"/>, which the full-vector stores may write.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Active(float* row, int length, int* indices, float* values)
    {
        int count = 0, p = 0;
        if (Avx512F.IsSupported)
        {
            var position = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            for (; p + Lanes <= length; p += Lanes, position += Vector512.Create(Lanes))
            {
                var v = Vector512.Load(row + p);
                var zero = Vector512.Equals(v, Vector512<float>.Zero);
                uint bits = ~(uint)zero.ExtractMostSignificantBits() & 0xFFFFu;
                if (bits == 0) continue;
                var nonZero = ~zero;
                Avx512F.Compress(Vector512<float>.Zero, nonZero, v).Store(values + count);
                Avx512F.Compress(Vector512<int>.Zero, nonZero.AsInt32(), position).Store(indices + count);
                count += BitOperations.PopCount(bits);
            }
        }
        for (; p < length; p++)
        {
            indices[count] = p;
            values[count] = row[p];
            count += row[p] == 0f ? 0 : 1;
        }
        return count;
    }

    /// <summary>Vector accumulators (1, 2, 4 or 8 groups of 16 outputs) a slab of the given width uses.</summary>
    private static int SlabGroups(int width) => width <= Lanes ? 1 : width <= 2 * Lanes ? 2 : width <= 4 * Lanes ? 4 : 8;

    /// <summary>
    /// Rows [n0, n1) and outputs [o0, o1) of the forward: per slab of up to 128 outputs and block of
    /// <see cref="ForwardInputs"/> inputs, transposes that block of W (zero-padded to whole vectors), then for each row
    /// adds value × transposed row over the row's non-zero inputs (the first block applies beta, later ones add).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRectangle(float* x, float* w, float* y, int outs, int ins, float alpha, float beta,
        int o0, int o1, int n0, int n1)
    {
        blockBuffer ??= GC.AllocateUninitializedArray<float>(Math.Max(ForwardInputs * Slab, GradientInputs * (Slab + Lanes)), pinned: true);
        activeValues ??= GC.AllocateUninitializedArray<float>(Math.Max(ForwardInputs, GradientInputs) + Lanes, pinned: true);
        activeIndices ??= GC.AllocateUninitializedArray<int>(Math.Max(ForwardInputs, GradientInputs) + Lanes, pinned: true);
        float* tile = stackalloc float[Slab];
        fixed (float* wt = blockBuffer, values = activeValues)
        fixed (int* indices = activeIndices)
        {
            for (int oc = o0; oc < o1; oc += Slab)
            {
                int width = Math.Min(Slab, o1 - oc), groups = SlabGroups(width), stride = groups * Lanes;
                for (int ic = 0; ic < ins; ic += ForwardInputs)
                {
                    int kc = Math.Min(ForwardInputs, ins - ic);
                    Transpose(w + (long)oc * ins + ic, ins, wt, stride, width, kc);
                    float betaHere = ic == 0 ? beta : 1f;
                    for (int n = n0; n < n1; n++)
                    {
                        int count = Active(x + (long)n * ins + ic, kc, indices, values);
                        float* yRow = y + (long)n * outs + oc;
                        switch (groups)
                        {
                            case 1: ForwardSlab<One>(count, indices, values, wt, yRow, width, alpha, betaHere, tile); break;
                            case 2: ForwardSlab<Two>(count, indices, values, wt, yRow, width, alpha, betaHere, tile); break;
                            case 4: ForwardSlab<Four>(count, indices, values, wt, yRow, width, alpha, betaHere, tile); break;
                            default: ForwardSlab<Eight>(count, indices, values, wt, yRow, width, alpha, betaHere, tile); break;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// One output row's slab: acc = sum over the listed inputs of value × wt[input, :] (TGroups vectors held in
    /// registers), then y = alpha·acc + beta·y for the first <paramref name="width"/> outputs (y not read when beta is 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardSlab<TGroups>(int count, int* indices, float* values, float* wt, float* y, int width,
        float alpha, float beta, float* tile)
        where TGroups : struct, IGroups
    {
        int stride = TGroups.Count * Lanes;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int a = 0; a < count; a++)
        {
            var v = Vector512.Create(values[a]);
            float* row = wt + indices[a] * stride;
            c0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(row), c0);
            if (TGroups.Count > 1) c1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(row + Lanes), c1);
            if (TGroups.Count > 2)
            {
                c2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(row + 2 * Lanes), c2);
                c3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(row + 3 * Lanes), c3);
            }
            if (TGroups.Count > 4)
            {
                c4 = Vector512.FusedMultiplyAdd(v, Vector512.Load(row + 4 * Lanes), c4);
                c5 = Vector512.FusedMultiplyAdd(v, Vector512.Load(row + 5 * Lanes), c5);
                c6 = Vector512.FusedMultiplyAdd(v, Vector512.Load(row + 6 * Lanes), c6);
                c7 = Vector512.FusedMultiplyAdd(v, Vector512.Load(row + 7 * Lanes), c7);
            }
        }
        if (width == stride)
        {
            Put(c0, y, alpha, beta);
            if (TGroups.Count > 1) Put(c1, y + Lanes, alpha, beta);
            if (TGroups.Count > 2)
            {
                Put(c2, y + 2 * Lanes, alpha, beta);
                Put(c3, y + 3 * Lanes, alpha, beta);
            }
            if (TGroups.Count > 4)
            {
                Put(c4, y + 4 * Lanes, alpha, beta);
                Put(c5, y + 5 * Lanes, alpha, beta);
                Put(c6, y + 6 * Lanes, alpha, beta);
                Put(c7, y + 7 * Lanes, alpha, beta);
            }
            return;
        }
        c0.Store(tile);
        if (TGroups.Count > 1) c1.Store(tile + Lanes);
        if (TGroups.Count > 2)
        {
            c2.Store(tile + 2 * Lanes);
            c3.Store(tile + 3 * Lanes);
        }
        if (TGroups.Count > 4)
        {
            c4.Store(tile + 4 * Lanes);
            c5.Store(tile + 5 * Lanes);
            c6.Store(tile + 6 * Lanes);
            c7.Store(tile + 7 * Lanes);
        }
        for (int j = 0; j < width; j++) y[j] = beta == 0f ? alpha * tile[j] : alpha * tile[j] + beta * y[j];
    }

    /// <summary>Writes 16 outputs: y = alpha·acc + beta·y, y not read when beta is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Vector512<float> acc, float* y, float alpha, float beta)
    {
        var scaled = acc * Vector512.Create(alpha);
        (beta == 0f ? scaled : Vector512.FusedMultiplyAdd(Vector512.Create(beta), Vector512.Load(y), scaled)).Store(y);
    }

    /// <summary>
    /// wt[p·stride + o] = w[o·ld + p] for o &lt; width, p &lt; kc, and 0 for width ≤ o &lt; stride: the block of W
    /// transposed, in 16 x 16 tiles so that both sides stay within 16 cache lines.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* w, int ld, float* wt, int stride, int width, int kc)
    {
        for (int o0 = 0; o0 < stride; o0 += Lanes)
            for (int p0 = 0; p0 < kc; p0 += Lanes)
            {
                int p1 = Math.Min(kc, p0 + Lanes);
                for (int o = o0; o < o0 + Lanes; o++)
                {
                    float* src = w + (long)o * ld;
                    if (o < width)
                        for (int p = p0; p < p1; p++) wt[p * stride + o] = src[p];
                    else
                        for (int p = p0; p < p1; p++) wt[p * stride + o] = 0f;
                }
            }
    }

    /// <summary>
    /// Inputs [i0, i1) (columns of dW) of the weight gradient: per slab of up to 128 outputs and block of
    /// <see cref="GradientInputs"/> inputs, a transposed accumulator tile [input, output] gets value × g[n, slab] for
    /// every non-zero x[n, input] (rows in increasing order), then is written to dW as alpha·tile + beta·dW.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientRectangle(float* g, float* x, float* dw, int rows, int outs, int ins, float alpha, float beta,
        int i0, int i1)
    {
        blockBuffer ??= GC.AllocateUninitializedArray<float>(Math.Max(ForwardInputs * Slab, GradientInputs * (Slab + Lanes)), pinned: true);
        activeValues ??= GC.AllocateUninitializedArray<float>(Math.Max(ForwardInputs, GradientInputs) + Lanes, pinned: true);
        activeIndices ??= GC.AllocateUninitializedArray<int>(Math.Max(ForwardInputs, GradientInputs) + Lanes, pinned: true);
        float* gradientRow = stackalloc float[Slab];
        fixed (float* acc = blockBuffer, values = activeValues)
        fixed (int* indices = activeIndices)
        {
            for (int oc = 0; oc < outs; oc += Slab)
            {
                // The tile's rows are one vector longer than the slab: a power-of-two pitch would map the column the
                // write-out reads onto a few cache sets.
                int width = Math.Min(Slab, outs - oc), groups = SlabGroups(width), stride = groups * Lanes, pitch = stride + Lanes;
                for (int j = width; j < stride; j++) gradientRow[j] = 0f;
                for (int ib = i0; ib < i1; ib += GradientInputs)
                {
                    int kb = Math.Min(GradientInputs, i1 - ib);
                    new Span<float>(acc, kb * pitch).Clear();
                    for (int n = 0; n < rows; n++)
                    {
                        int count = Active(x + (long)n * ins + ib, kb, indices, values);
                        if (count == 0) continue;
                        float* src = g + (long)n * outs + oc;
                        if (width < stride)
                        {
                            for (int j = 0; j < width; j++) gradientRow[j] = src[j];
                            src = gradientRow;
                        }
                        switch (groups)
                        {
                            case 1: GradientSlab<One>(count, indices, values, src, acc, pitch); break;
                            case 2: GradientSlab<Two>(count, indices, values, src, acc, pitch); break;
                            case 4: GradientSlab<Four>(count, indices, values, src, acc, pitch); break;
                            default: GradientSlab<Eight>(count, indices, values, src, acc, pitch); break;
                        }
                    }
                    for (int o = 0; o < width; o++)
                    {
                        float* dst = dw + (long)(oc + o) * ins + ib;
                        for (int i = 0; i < kb; i++)
                            dst[i] = beta == 0f ? alpha * acc[i * pitch + o] : alpha * acc[i * pitch + o] + beta * dst[i];
                    }
                }
            }
        }
    }

    /// <summary>acc[input·pitch, :] += value × gradient row (TGroups vectors held in registers) for each listed input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientSlab<TGroups>(int count, int* indices, float* values, float* gradientRow, float* acc, int pitch)
        where TGroups : struct, IGroups
    {
        var g0 = Vector512.Load(gradientRow);
        var g1 = TGroups.Count > 1 ? Vector512.Load(gradientRow + Lanes) : default;
        var g2 = TGroups.Count > 2 ? Vector512.Load(gradientRow + 2 * Lanes) : default;
        var g3 = TGroups.Count > 2 ? Vector512.Load(gradientRow + 3 * Lanes) : default;
        var g4 = TGroups.Count > 4 ? Vector512.Load(gradientRow + 4 * Lanes) : default;
        var g5 = TGroups.Count > 4 ? Vector512.Load(gradientRow + 5 * Lanes) : default;
        var g6 = TGroups.Count > 4 ? Vector512.Load(gradientRow + 6 * Lanes) : default;
        var g7 = TGroups.Count > 4 ? Vector512.Load(gradientRow + 7 * Lanes) : default;
        for (int a = 0; a < count; a++)
        {
            var v = Vector512.Create(values[a]);
            float* row = acc + indices[a] * pitch;
            Vector512.FusedMultiplyAdd(v, g0, Vector512.Load(row)).Store(row);
            if (TGroups.Count > 1) Vector512.FusedMultiplyAdd(v, g1, Vector512.Load(row + Lanes)).Store(row + Lanes);
            if (TGroups.Count > 2)
            {
                Vector512.FusedMultiplyAdd(v, g2, Vector512.Load(row + 2 * Lanes)).Store(row + 2 * Lanes);
                Vector512.FusedMultiplyAdd(v, g3, Vector512.Load(row + 3 * Lanes)).Store(row + 3 * Lanes);
            }
            if (TGroups.Count > 4)
            {
                Vector512.FusedMultiplyAdd(v, g4, Vector512.Load(row + 4 * Lanes)).Store(row + 4 * Lanes);
                Vector512.FusedMultiplyAdd(v, g5, Vector512.Load(row + 5 * Lanes)).Store(row + 5 * Lanes);
                Vector512.FusedMultiplyAdd(v, g6, Vector512.Load(row + 6 * Lanes)).Store(row + 6 * Lanes);
                Vector512.FusedMultiplyAdd(v, g7, Vector512.Load(row + 7 * Lanes)).Store(row + 7 * Lanes);
            }
        }
    }

    /// <summary>How many 16-float vector groups a slab kernel holds (a constant per instantiation).</summary>
    private interface IGroups
    {
        static abstract int Count { get; }
    }

    private readonly struct One : IGroups
    {
        public static int Count => 1;
    }

    private readonly struct Two : IGroups
    {
        public static int Count => 2;
    }

    private readonly struct Four : IGroups
    {
        public static int Count => 4;
    }

    private readonly struct Eight : IGroups
    {
        public static int Count => 8;
    }
}
