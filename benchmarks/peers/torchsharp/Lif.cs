// The LIF neuron of torch_nets.py: decay 0.5, threshold 1, soft reset, spike H(u - 1) with the sigmoid surrogate (alpha 4).
using TorchSharp;
using static TorchSharp.torch;

/// <summary>LIF dynamics on tensors (torch_nets.lif_sequence, lif_step, surrogate).</summary>
internal static class Lif
{
    public const float Decay = 0.5f, Threshold = 1f, Alpha = 4f;

    /// <summary>Sigmoid surrogate derivative alpha*sig(alpha z)(1 - sig(alpha z)).</summary>
    public static Tensor Surrogate(Tensor z)
    {
        var s = torch.sigmoid(z * Alpha);
        return Alpha * s * (1f - s);
    }

    /// <summary>
    /// current [T, ...] -> (spikes [T, ...], final v); u = decay*v + I, s = H(u - th), v = u - th*s (reset in the graph).
    /// A given start v enters as a constant (the state carried over from an earlier window).
    /// </summary>
    public static (Tensor Spikes, Tensor V) Sequence(Tensor current, Tensor? v)
    {
        var spikes = new Tensor[current.shape[0]];
        for (int t = 0; t < spikes.Length; t++)
        {
            var u = v is null ? current[t] : v * Decay + current[t];
            spikes[t] = Spike.apply(u - Threshold);
            v = u - spikes[t];
        }
        return (torch.stack(spikes), v!);
    }

    /// <summary>One step with the carried state v a constant (SLTT's cut before the leak) -> (spikes, next state, detached).</summary>
    public static (Tensor Spikes, Tensor V) Step(Tensor current, Tensor? v)
    {
        var u = v is null ? current : v * Decay + current;
        var s = Spike.apply(u - Threshold);
        return (s, (u - s).detach());
    }
}

/// <summary>Heaviside spike H(z), z = u - threshold, with the sigmoid surrogate derivative.</summary>
internal sealed class Spike : autograd.SingleTensorFunction<Spike>
{
    public override string Name => "Spike";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var z = (Tensor)vars[0];
        ctx.save_for_backward([z]);
        return z.ge(0).to_type(ScalarType.Float32);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor g) => [g * Lif.Surrogate(ctx.get_saved_variables()[0])];
}
