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
    internal static void StepKernel<TSurrogate>(long accumulated, long trace, long spikes, long output, long surrogate, long n, float decay, float threshold,
        SafScales scales, TSurrogate surrogateFunction, int flags)
        where TSurrogate : struct, ISurrogateGradient
    {
        var (start, end) = GridStride.Chunk(n);
        var pointers = new Pointers(accumulated, trace, spikes, output, surrogate);
        long i = Vectors(surrogateFunction, pointers, decay, threshold, scales, flags, start, end);
        float* pa = (float*)accumulated, pt = (float*)trace, ps = (float*)spikes, po = (float*)output, pg = (float*)surrogate;
        bool saveSurrogate = (flags & NeuronFlags.SaveSurrogate) != 0, writeOutput = (flags & NeuronFlags.WriteOutput) != 0;
        bool fresh = (flags & NeuronFlags.FreshTrace) != 0;
        for (; i < end; i++)
        {
            float tr = fresh ? 0f : pt[i];
            float z = NeuronElements.SafOvershoot(pa[i], tr, decay, threshold, scales.Input);
            float s = NeuronElements.Heaviside(z);
            ps[i] = s;
            float next = decay * tr + s;
            pt[i] = next;
            if (writeOutput) po[i] = scales.Output * next;
            if (saveSurrogate) pg[i] = scales.Gradient * surrogateFunction.Derivative(z);
        }
    }

    /// <summary>
    /// The whole vectors of [start, end) for a built-in surrogate; returns where it stopped (start for other surrogates
    /// or without hardware vectors). Marked <see cref="ExternalAttribute"/>: ILGPU's frontend treats it as opaque.
    /// </summary>
    [External("ilgpusnn_host_saf_step")]
    internal static long Vectors<TSurrogate>(TSurrogate surrogate, Pointers pointers, float decay, float threshold, SafScales scales,
        int flags, long start, long end)
        where TSurrogate : struct, ISurrogateGradient
    {
        if (!Vector.IsHardwareAccelerated) return start;
        if (typeof(TSurrogate) == typeof(SigmoidSurrogate))
            return VectorBody(new SigmoidVector(HostLifVector.Alpha(surrogate)), pointers, decay, threshold, scales, flags, start, end);
        if (typeof(TSurrogate) == typeof(TriangleSurrogate))
            return VectorBody(new TriangleVector(HostLifVector.Alpha(surrogate)), pointers, decay, threshold, scales, flags, start, end);
        if (typeof(TSurrogate) == typeof(RectangleSurrogate))
            return VectorBody(new RectangleVector(HostLifVector.Alpha(surrogate)), pointers, decay, threshold, scales, flags, start, end);
        if (typeof(TSurrogate) == typeof(ATanSurrogate))
            return VectorBody(new ATanVector(HostLifVector.Alpha(surrogate)), pointers, decay, threshold, scales, flags, start, end);
        return start;
    }

    private static long VectorBody<TVector>(TVector surrogate, Pointers pointers, float decay, float threshold, SafScales scales,
        int flags, long start, long end)
        where TVector : struct, IVectorSurrogate
    {
        float* pa = (float*)pointers.Accumulated, pt = (float*)pointers.Trace, ps = (float*)pointers.Spikes, po = (float*)pointers.Output, pg = (float*)pointers.Surrogate;
        bool saveSurrogate = (flags & NeuronFlags.SaveSurrogate) != 0, writeOutput = (flags & NeuronFlags.WriteOutput) != 0;
        var leak = new Vector<float>(decay * threshold);
        var decays = new Vector<float>(decay);
        var thresholds = new Vector<float>(threshold);
        var inputScale = new Vector<float>(scales.Input);
        var outputScale = new Vector<float>(scales.Output);
        var gradientScale = new Vector<float>(scales.Gradient);
        bool fresh = (flags & NeuronFlags.FreshTrace) != 0;
        long i = start;
        for (; i + Vector<float>.Count <= end; i += Vector<float>.Count)
        {
            var tr = fresh ? Vector<float>.Zero : Vector.Load(pt + i);
            var u = (inputScale * Vector.Load(pa + i)) - (leak * tr);
            var z = u - thresholds;
            var s = HostLifVector.Heaviside(z);
            s.Store(ps + i);
            var next = (decays * tr) + s;
            next.Store(pt + i);
            if (writeOutput) (outputScale * next).Store(po + i);
            if (saveSurrogate) (gradientScale * surrogate.Derivative(z)).Store(pg + i);
        }
        return i;
    }

    /// <summary>The host addresses of one SAF step's buffers (output and surrogate 0 when absent).</summary>
    internal readonly record struct Pointers(long Accumulated, long Trace, long Spikes, long Output, long Surrogate);
}
