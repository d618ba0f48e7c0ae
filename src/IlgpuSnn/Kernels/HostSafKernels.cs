using System.Numerics;
using ILGPU.Frontend;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The CPU accelerator's form of <see cref="LifKernels.SafStepKernel{TSurrogate}"/>: the same arithmetic per neuron in
/// the same order, on host pointers, with <see cref="Vector{T}"/> lanes for the built-in surrogates (as
/// <see cref="HostLifVector"/>; only the sigmoid's σ' may differ by a few ulp through <see cref="VectorMath.Exp"/>). The
/// portable kernel's scalar path cost about 8 ns per neuron and step, half of a conv net's SAF iteration.
/// </summary>
internal static unsafe class HostSafKernels
{
    /// <summary>The host form of <see cref="LifKernels.SafStepKernel{TSurrogate}"/>.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run LifKernels.SafStepKernel.")]
    internal static void StepKernel<TSurrogate>(long accumulated, long trace, long spikes, long surrogate, long n, float decay, float threshold,
        TSurrogate surrogateFunction, int flags)
        where TSurrogate : struct, ISurrogateGradient
    {
        var (start, end) = GridStride.Chunk(n);
        long i = Vectors(surrogateFunction, accumulated, trace, spikes, surrogate, decay, threshold, flags, start, end);
        float* pa = (float*)accumulated, pt = (float*)trace, ps = (float*)spikes, pg = (float*)surrogate;
        bool saveSurrogate = (flags & NeuronFlags.SaveSurrogate) != 0;
        for (; i < end; i++)
        {
            float tr = pt[i];
            float u = pa[i] - decay * threshold * tr;
            float z = u - threshold;
            float s = z >= 0f ? 1f : 0f;
            ps[i] = s;
            pt[i] = decay * tr + s;
            if (saveSurrogate) pg[i] = surrogateFunction.Derivative(z);
        }
    }

    /// <summary>
    /// The whole vectors of [start, end) for a built-in surrogate; returns where it stopped (start for other surrogates
    /// or without hardware vectors). Marked <see cref="ExternalAttribute"/>: ILGPU's frontend treats it as opaque.
    /// </summary>
    [External("ilgpusnn_host_saf_step")]
    internal static long Vectors<TSurrogate>(TSurrogate surrogate, long accumulated, long trace, long spikes, long sigma, float decay, float threshold,
        int flags, long start, long end)
        where TSurrogate : struct, ISurrogateGradient
    {
        if (!Vector.IsHardwareAccelerated) return start;
        if (typeof(TSurrogate) == typeof(SigmoidSurrogate))
            return VectorBody(new SigmoidVector(HostLifVector.Alpha(surrogate)), accumulated, trace, spikes, sigma, decay, threshold, flags, start, end);
        if (typeof(TSurrogate) == typeof(TriangleSurrogate))
            return VectorBody(new TriangleVector(HostLifVector.Alpha(surrogate)), accumulated, trace, spikes, sigma, decay, threshold, flags, start, end);
        if (typeof(TSurrogate) == typeof(RectangleSurrogate))
            return VectorBody(new RectangleVector(HostLifVector.Alpha(surrogate)), accumulated, trace, spikes, sigma, decay, threshold, flags, start, end);
        if (typeof(TSurrogate) == typeof(ATanSurrogate))
            return VectorBody(new ATanVector(HostLifVector.Alpha(surrogate)), accumulated, trace, spikes, sigma, decay, threshold, flags, start, end);
        return start;
    }

    private static long VectorBody<TVector>(TVector surrogate, long accumulated, long trace, long spikes, long sigma, float decay, float threshold,
        int flags, long start, long end)
        where TVector : struct, IVectorSurrogate
    {
        float* pa = (float*)accumulated, pt = (float*)trace, ps = (float*)spikes, pg = (float*)sigma;
        bool saveSurrogate = (flags & NeuronFlags.SaveSurrogate) != 0;
        var leak = new Vector<float>(decay * threshold);
        var decays = new Vector<float>(decay);
        var thresholds = new Vector<float>(threshold);
        long i = start;
        for (; i + Vector<float>.Count <= end; i += Vector<float>.Count)
        {
            var tr = Vector.Load(pt + i);
            var u = Vector.Load(pa + i) - (leak * tr);
            var z = u - thresholds;
            var s = HostLifVector.Heaviside(z);
            s.Store(ps + i);
            ((decays * tr) + s).Store(pt + i);
            if (saveSurrogate) surrogate.Derivative(z).Store(pg + i);
        }
        return i;
    }
}
