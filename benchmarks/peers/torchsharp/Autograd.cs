// The custom autograd functions of torch_estimators.py: OTTT's trace-gradient synapse, SAF's neuron, RateBP's
// BatchNorm with recorded statistics.
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

/// <summary>
/// OTTT's synapse: the value op(spikes), the input gradient op^T(g) to the spikes, the weight gradient from the
/// presynaptic trace. Arguments: spikes, trace, weight, bias (or null), conv (3x3, padding 1) or linear.
/// </summary>
internal sealed class TraceGradient : autograd.SingleTensorFunction<TraceGradient>
{
    public override string Name => "TraceGradient";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (spikes, trace, weight, bias, conv) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], vars[3] as Tensor, (bool)vars[4]);
        ctx.save_for_backward([trace, weight]);
        ctx.save_data("conv", conv);
        ctx.save_data("bias", bias is not null);
        return conv ? functional.conv2d(spikes, weight, bias, padding: [1, 1]) : functional.linear(spikes, weight, bias);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor g)
    {
        var saved = ctx.get_saved_variables();
        var (trace, weight) = (saved[0], saved[1]);
        bool conv = (bool)ctx.get_data("conv");
        Tensor gx, gw;
        if (conv)
        {
            // The input gradient is the transposed convolution of g; the weight gradient correlates the trace with g,
            // as one convolution with batch and channels swapped: gw[o, i] = sum over n of trace[n, i] (*) g[n, o].
            gx = functional.conv_transpose2d(g, weight, padding: [1, 1]);
            gw = functional.conv2d(trace.transpose(0, 1), g.transpose(0, 1), padding: [1, 1]).transpose(0, 1);
        }
        else
        {
            gx = g.matmul(weight);
            gw = g.t().matmul(trace);
        }
        Tensor? gb = (bool)ctx.get_data("bias") ? (conv ? g.sum([0L, 2L, 3L]) : g.sum([0L])) : null;
        return [gx, null!, gw, gb!, null!];
    }

    /// <summary>module(spikes) whose weight gradient comes from `trace` (the raw input when trace is null).</summary>
    public static Tensor Traced(Module<Tensor, Tensor> module, Tensor weight, Tensor? bias, Tensor spikes, Tensor? trace)
        => trace is null ? module.forward(spikes) : apply(spikes, trace, weight, bias!, module is TorchSharp.Modules.Conv2d);
}

/// <summary>
/// One SAF neuron step on accumulations: u = a - decay*th*acc[t-1], s = H(u - th), returns acc[t] = decay*acc[t-1] + s;
/// the gradient into a is g * surrogate(u - th) (acc[t-1] a constant). Arguments: a, acc[t-1].
/// </summary>
internal sealed class SafNeuron : autograd.SingleTensorFunction<SafNeuron>
{
    public override string Name => "SafNeuron";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (a, previous) = ((Tensor)vars[0], (Tensor)vars[1]);
        var z = a - previous * (Lif.Decay * Lif.Threshold) - Lif.Threshold;
        ctx.save_for_backward([z]);
        return previous * Lif.Decay + z.ge(0).to_type(ScalarType.Float32);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor g) => [g * Lif.Surrogate(ctx.get_saved_variables()[0]), null!];
}

/// <summary>
/// BatchNorm of RateBP's rate pass: normalised with the statistics recorded in the spike pass, back-propagated as
/// BatchNorm with batch statistics (the standard formula, with the recorded mean and variance). Arguments: c, gamma,
/// beta, mean, var, eps (double).
/// </summary>
internal sealed class RecordedBatchNorm : autograd.SingleTensorFunction<RecordedBatchNorm>
{
    public override string Name => "RecordedBatchNorm";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (c, gamma, beta, mean, variance, eps) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4], (double)vars[5]);
        ctx.save_for_backward([c, gamma, mean, torch.rsqrt(variance + eps)]);
        return functional.batch_norm(c, mean, variance, gamma, beta, false, 0.0, eps);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor g)
    {
        var saved = ctx.get_saved_variables();
        var (c, gamma, mean, invstd) = (saved[0], saved[1], saved[2], saved[3]);
        long[] dims = c.dim() == 2 ? [0L] : [0L, 2L, 3L];
        long[] shape = c.dim() == 2 ? [1, -1] : [1, -1, 1, 1];
        double count = c.numel() / c.shape[1];
        var xhat = (c - mean.reshape(shape)) * invstd.reshape(shape);
        var gb = g.sum(dims);
        var gg = (g * xhat).sum(dims);
        // dL/dc = gamma * invstd * (g - mean(g) - xhat * mean(g * xhat)), the means over each channel's elements.
        var gc = (gamma * invstd).reshape(shape) * (g - (gb / count).reshape(shape) - xhat * (gg / count).reshape(shape));
        return [gc, gg, gb, null!, null!, null!];
    }
}
