using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU.Frontend;

namespace IlgpuSnn.Kernels;

/// <summary>
/// SIMD body of the CPU accelerator's fused optimizer step (<see cref="OptimizerKernels.HostStepKernel"/>) for SGD:
/// <see cref="Vector{T}"/> lanes of parameters at a time, the same float operations in the same order as
/// <see cref="OptimizerKernels.SgdElement"/>, so the parameters and momentum buffers are bit-identical to the scalar loop's.
/// The online estimators (OTTT-O, SLTT with per-step updates) step every parameter once per time step, so this pass over
/// the parameters, gradients and buffers is a large share of a small net's iteration. Marked
/// <see cref="ExternalAttribute"/>: ILGPU's frontend treats it as opaque, the CPU accelerator calls it as ordinary .NET
/// code; GPUs never reach it.
/// </summary>
internal static unsafe class HostOptimizerVector
{
    /// <summary>
    /// Updates the whole vectors of parameters [lo, hi) (p, gradient g, momentum buffer buf, read only with momentum)
    /// with SGD as <see cref="HostStepSettings"/> describes it (A = momentum, B = weight decay); returns where it stopped,
    /// so that the caller's scalar loop does the rest (everything where vectors are not hardware-accelerated).
    /// </summary>
    [External("ilgpusnn_host_sgd")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static long Sgd(float* p, float* g, float* buf, long lo, long hi, HostStepSettings s)
    {
        if (!Vector.IsHardwareAccelerated) return lo;
        int lanes = Vector<float>.Count;
        var lr = new Vector<float>(s.LearningRate);
        var momentum = new Vector<float>(s.A);
        var weightDecay = new Vector<float>(s.B);
        bool decay = s.B != 0f, useMomentum = s.UseMomentum != 0, nesterov = s.Nesterov != 0;
        long i = lo;
        for (; i + lanes <= hi; i += lanes)
        {
            var pv = Unsafe.ReadUnaligned<Vector<float>>(p + i);
            var d = Unsafe.ReadUnaligned<Vector<float>>(g + i);
            if (decay) d += weightDecay * pv;
            if (useMomentum)
            {
                var b = (momentum * Unsafe.ReadUnaligned<Vector<float>>(buf + i)) + d;
                Unsafe.WriteUnaligned(buf + i, b);
                d = nesterov ? d + (momentum * b) : b;
            }
            Unsafe.WriteUnaligned(p + i, pv - (lr * d));
        }
        return i;
    }
}
