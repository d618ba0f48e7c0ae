namespace IlgpuSnn.Layers;

/// <summary>How a forward pass walks time; chosen by the estimator driving the network.</summary>
public enum PassMode
{
    /// <summary>
    /// A whole sequence (or window) at once: tensors are [T·B, ...] with time folded into the batch; neurons run their
    /// fused multi-step kernel. Used by BPTT, TT-LBPTT and RateBP's spike pass.
    /// </summary>
    Sequence,

    /// <summary>One time step: tensors are [B, ...]; neurons keep their state between calls. Used by SLTT and SLTT-K.</summary>
    Step,

    /// <summary>
    /// One time step in OTTT form: each parametrised op's value comes from spikes, its weight gradient from presynaptic
    /// traces â[t] = λ·â[t−1] + s[t].
    /// </summary>
    OtttStep,

    /// <summary>One time step of spike accumulation forwarding (SAF): layers exchange accumulations â, not spikes.</summary>
    SafStep,

    /// <summary>RateBP's second pass: one pass over firing rates with graph, batch [B, ...], no time axis.</summary>
    Rate,
}
