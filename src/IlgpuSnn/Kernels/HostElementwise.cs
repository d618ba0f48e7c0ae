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
internal static partial class HostElementwise
{
    /// <summary>Form codes: what the kernel computes with operands a, b and outputs y (and g, gx for backward).</summary>
    internal const int Fill = 0, Copy = 1, Axpby = 2, Binary = 3, Unary = 4, UnaryBackward = 5, SumSlices = 6, Combine = 7;

    /// <summary>
    /// Runs one form over y's elements: Fill y = p; Copy y = a; Axpby y = p·a + q·y; Binary y = a op b;
    /// Unary y = op(a; p); UnaryBackward y = g · op'(a, b; p) with a = x, b = op(x); SumSlices y = (p ≠ 0 ? y : 0) + Σ of the
    /// op slices of a, in slice order; Combine y = p·a + q·b.
    /// </summary>
    public static void Run(Device device, int form, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, ArrayView<float> g, int op, float p, float q)
    {
        long n = y.Length;
        device.Kernels.Load<long, long, long, long, long, int, int, float, float>(HostKernel)(
            device.Launch.GridStride(n), HostMemory.Address(a), HostMemory.Address(b), HostMemory.Address(y), HostMemory.Address(g), n, form, op, p, q);
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
