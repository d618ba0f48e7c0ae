using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// A layer whose weights multiply presynaptic activity (convolution, linear). In OTTT mode its value comes from the
/// spikes and its weight gradient from the presynaptic trace, while the input gradient still reaches the spikes. In SAF
/// steps a layer with a bias works on the accumulation at the scale of one step, so that the bias accumulates
/// (<see cref="Pass.AtStepScale"/>; without a bias the op is linear and needs no scaling).
/// </summary>
public abstract class SynapticLayer : Layer
{
    /// <summary>Bias [out], or null.</summary>
    public abstract Tensor? Bias { get; }

    /// <summary>The operation with graph, as a plain differentiable function of its input.</summary>
    protected abstract Tensor Apply(Tensor x);

    /// <inheritdoc />
    public sealed override Tensor Forward(Tensor x, Tensor? trace, Pass pass, out Tensor? traceOut)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(pass);
        traceOut = null;
        if (pass.Mode == PassMode.SafStep && Bias is not null) return pass.AtStepScale(x, Apply);
        if (pass.Mode != PassMode.OtttStep || trace is null) return Apply(x);
        using var traceCarryingSpikeGradient = Ops.WithGradientOf(trace, x);
        using var gradientPath = Apply(traceCarryingSpikeGradient);
        using var value = ApplyWithoutGraph(x);
        return Ops.WithGradientOf(value, gradientPath);
    }

    private Tensor ApplyWithoutGraph(Tensor x)
    {
        using (Tape.NoGrad()) return Apply(x);
    }
}
