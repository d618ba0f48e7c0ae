using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The CPU accelerator's form of the element-wise kernels: one kernel for every element-wise form, reading the buffers
/// through host pointers (ILGPU's view indexer costs about 9x a plain array access on the CPU, see
/// benchmarks/RESULTS.md). Each thread takes one contiguous chunk. GPUs never see it: they run the portable kernels of
/// <see cref="Elementwise"/>, which the tests also run on the CPU.
/// </summary>
internal static class HostElementwise
{
    /// <summary>Form codes: what the kernel computes with operands a, b and outputs y (and g, gx for backward).</summary>
    internal const int Fill = 0, Copy = 1, Axpby = 2, Binary = 3, Unary = 4, UnaryBackward = 5, SumSlices = 6, Combine = 7, ScaleAddBias = 8;

    /// <summary>
    /// Runs one form over y's elements: Fill y = p; Copy y = a; Axpby y = p·a + q·y; Binary y = a op b;
    /// Unary y = op(a; p); UnaryBackward y = g · op'(a, b; p) with a = x, b = op(x); SumSlices y = (p ≠ 0 ? y : 0) + Σ of the
    /// op slices of a, in slice order; Combine y = p·a + q·b; ScaleAddBias y = p·a + g[i mod op] + q·b, the bias g and b
    /// each skipped when absent (address 0).
    /// </summary>
    public static void Run(Device device, int form, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, ArrayView<float> g, int op, float p, float q)
    {
        long n = y.Length;
        device.Kernels.Load<long, long, long, long, long, int, int, float, float>(HostKernel)(
            device.Launch.GridStride(n), HostMemory.Address(a), HostMemory.Address(b), HostMemory.Address(y), HostMemory.Address(g), n, form, op, p, q);
    }

    /// <summary>
    /// y_j = (replace_j ? 0 : y_j) + Σ_s x_j[s] (the slices in order) for every pair j, all pairs in ONE launch (the
    /// pairs' y must not overlap): a table of addresses and lengths walked in one piece per thread, as
    /// <see cref="OptimizerKernels.HostStep"/> does.
    /// </summary>
    public static void AddPairs(Device device, ReadOnlySpan<ElementwisePair> pairs)
    {
        // The CPU accelerator's launch returns when every thread has finished, so the pinned table outlives its use.
        var table = GC.AllocateArray<long>(pairs.Length * PairLongs, pinned: true);
        long total = 0;
        for (int j = 0; j < pairs.Length; j++)
        {
            var (y, x, replace, slices) = pairs[j];
            Elementwise.RequireSlices("AddPairs", x, y, slices);
            table[j * PairLongs] = HostMemory.Address(y);
            table[(j * PairLongs) + 1] = HostMemory.Address(x);
            table[(j * PairLongs) + 2] = y.Length;
            table[(j * PairLongs) + 3] = replace ? 1 : 0;
            table[(j * PairLongs) + 4] = slices;
            total += y.Length;
        }
        if (total == 0) return;
        device.Kernels.Load<long, int, long>(AddPairsKernel)(device.Launch.GridStride(total), HostMemory.Address(table), pairs.Length, total);
        GC.KeepAlive(table);
    }

    /// <summary>Longs per pair in <see cref="AddPairs"/>'s table: y and x addresses, length, replace flag, slices.</summary>
    private const int PairLongs = 5;


    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run one Axpby or Copy per pair.")]
    internal static unsafe void AddPairsKernel(long table, int pairs, long total)
    {
        var (start, end) = GridStride.Chunk(total);
        long* entry = (long*)table;
        long offset = 0;
        for (int j = 0; j < pairs && offset < end; j++, entry += PairLongs)
        {
            long n = entry[2];
            long lo = Math.Max(start, offset) - offset, hi = Math.Min(end, offset + n) - offset;
            offset += n;
            if (lo >= hi) continue;
            float* py = (float*)entry[0], px = (float*)entry[1];
            bool replace = entry[3] != 0;
            long slices = entry[4];
            for (long i = lo; i < hi; i++)
            {
                float sum = replace ? px[i] : py[i] + px[i];
                for (long k = 1; k < slices; k++) sum += px[(k * n) + i];
                py[i] = sum;
            }
        }
    }

    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run the portable Elementwise kernels.")]
    internal static unsafe void HostKernel(long a, long b, long y, long g, long n, int form, int op, float p, float q)
    {
        var (start, end) = GridStride.Chunk(n);
        float* pa = (float*)a, pb = (float*)b, py = (float*)y, pg = (float*)g;
        if (form == Fill)
        {
            for (long i = start; i < end; i++) py[i] = p;
        }
        else if (form == Copy)
        {
            for (long i = start; i < end; i++) py[i] = pa[i];
        }
        else if (form == Axpby)
        {
            for (long i = start; i < end; i++) py[i] = p * pa[i] + q * py[i];
        }
        else if (form == Binary)
        {
            for (long i = start; i < end; i++) py[i] = Elementwise.ApplyBinary(op, pa[i], pb[i]);
        }
        else if (form == Unary)
        {
            for (long i = start; i < end; i++) py[i] = Elementwise.ApplyUnary(op, pa[i], p);
        }
        else if (form == Combine)
        {
            for (long i = start; i < end; i++) py[i] = p * pa[i] + q * pb[i];
        }
        else if (form == ScaleAddBias)
        {
            for (long i = start; i < end; i++)
            {
                float v = p * pa[i];
                if (pg != null) v += pg[i % op];
                if (pb != null) v += q * pb[i];
                py[i] = v;
            }
        }
        else if (form == SumSlices)
        {
            for (long i = start; i < end; i++)
            {
                float sum = p != 0f ? py[i] + pa[i] : pa[i];
                for (int s = 1; s < op; s++) sum += pa[(s * n) + i];
                py[i] = sum;
            }
        }
        else
        {
            for (long i = start; i < end; i++) py[i] = pg[i] * Elementwise.UnaryDerivative(op, pa[i], pb[i], p);
        }
    }
}

/// <summary>One pair of <see cref="Elementwise.AddPairs"/>: y = (Replace ? 0 : y) + Σ_s x[s] over its slices, in order.</summary>
/// <param name="Y">The target, updated in place.</param>
/// <param name="X">What is added (or copied): <paramref name="Slices"/> consecutive slices as long as the target.</param>
/// <param name="Replace">Whether the sum replaces y instead of being added to it.</param>
/// <param name="Slices">Number of slices in x.</param>
internal readonly record struct ElementwisePair(ArrayView<float> Y, ArrayView<float> X, bool Replace, int Slices = 1);
