namespace IlgpuSnn.Tests.Reference;

/// <summary>
/// One `snn gradcheck` case for the double-precision reference: a tiny fully connected spiking network
/// (batch of one), its data and the estimator with its options. Names follow the gradcheck case format.
/// </summary>
public sealed class ReferenceCase
{
    /// <summary>"bptt", "tt-lbptt", "sltt", "sltt-k", "ottt-a", "ottt-o", "saf-e", "saf-f", "ratebp".</summary>
    public string Estimator = "bptt";

    /// <summary>"per-step" (L = (1/T) Σ_t ½‖o[t] − y‖²) or "mean-output" (L = ½‖ō − y‖²).</summary>
    public string Loss = "per-step";

    /// <summary>Leak factor λ.</summary>
    public double Decay = 0.5;

    /// <summary>Threshold Vth.</summary>
    public double Threshold = 1.0;

    /// <summary>"soft" (v = u − Vth·s) or "hard" (v = u·(1 − s)).</summary>
    public string Reset = "soft";

    /// <summary>Treat s inside the reset term as a constant in the backward.</summary>
    public bool DetachReset;

    /// <summary>"sigmoid" | "triangle" | "rectangle" | "atan".</summary>
    public string Surrogate = "sigmoid";

    /// <summary>Surrogate α; null = the default of the surrogate (4, 1, 1, 2).</summary>
    public double? Alpha;

    /// <summary>x[t]: T rows of n0 values.</summary>
    public double[][] Inputs = [];

    /// <summary>y: one value per read-out output.</summary>
    public double[] Target = [];

    /// <summary>W1..WL, each [out][in]; every layer is followed by the LIF neuron.</summary>
    public double[][][] Layers = [];

    /// <summary>Wo [outputs][n_L]; o[t] = Wo·s_L[t] (no neuron, no bias).</summary>
    public double[][] Readout = [];

    // ---- options ----

    /// <summary>TT-LBPTT truncation window k (0 = T).</summary>
    public int Window;

    /// <summary>TT-LBPTT blocks: contiguous lists of 0-based layer indices, e.g. [[0],[1]]; null = one block.</summary>
    public int[][]? Blocks;

    /// <summary>TT-LBPTT auxiliary heads: block index → W_aux [outputs][n of the block's last layer].</summary>
    public Dictionary<int, double[][]>? AuxHeads;

    /// <summary>TT-LBPTT: "accumulated" | "per-window".</summary>
    public string Update = "accumulated";

    /// <summary>SLTT-K: the 1-based steps that get a backward.</summary>
    public int[]? KSet;

    /// <summary>OTTT: layer 1 uses the input trace x̂ instead of x.</summary>
    public bool AllTrace;

    /// <summary>RateBP: multiply the gradients by 1/T (official code).</summary>
    public bool OfficialScale;

    /// <summary>Shallow copy with another estimator name (options are shared).</summary>
    public ReferenceCase With(string estimator)
    {
        var c = (ReferenceCase)MemberwiseClone();
        c.Estimator = estimator;
        return c;
    }

    /// <summary>Shallow copy (arrays shared).</summary>
    public ReferenceCase Clone() => (ReferenceCase)MemberwiseClone();
}

/// <summary>One gradient piece at fixed weights (one step or one window).</summary>
public sealed class ReferenceStepGrad
{
    /// <summary>Per layer [out][in].</summary>
    public double[][][] Layers = [];

    /// <summary>[outputs][n_L].</summary>
    public double[][] Readout = [];

    /// <summary>TT-LBPTT auxiliary heads (block index → [outputs][n]); empty otherwise.</summary>
    public Dictionary<int, double[][]> Aux = [];
}

/// <summary>Result of one reference estimator run.</summary>
public sealed class ReferenceResult
{
    /// <summary>Network loss per <see cref="ReferenceCase.Loss"/> on the (shared) forward pass.</summary>
    public double Loss;

    /// <summary>
    /// Value of the objective whose gradient is returned: equals <see cref="Loss"/> except SAF-F (the loss on the
    /// final accumulation) and TT-LBPTT with aux heads (Loss + Σ aux losses).
    /// </summary>
    public double ObjectiveLoss;

    /// <summary>Spikes per layer [layer][t][n].</summary>
    public double[][][] Spikes = [];

    /// <summary>Pre-reset potentials u per layer [layer][t][n].</summary>
    public double[][][] Potentials = [];

    /// <summary>Read-out o[t] [t][outputs].</summary>
    public double[][] Outputs = [];

    /// <summary>Per layer [out][in].</summary>
    public double[][][] LayerGrads = [];

    /// <summary>[outputs][n_L].</summary>
    public double[][] ReadoutGrad = [];

    /// <summary>TT-LBPTT auxiliary-head gradients (block index → [outputs][n]).</summary>
    public Dictionary<int, double[][]> AuxGrads = [];

    /// <summary>TT-LBPTT auxiliary losses (block index → value).</summary>
    public Dictionary<int, double> AuxLosses = [];

    /// <summary>
    /// Per-step (ottt-o, saf-e) or per-window (tt-lbptt per-window) gradient pieces at fixed weights; their sum
    /// equals the gradients. Empty for estimators that update once per sequence.
    /// </summary>
    public List<ReferenceStepGrad> StepGrads = [];

    /// <summary>g_u = ∂L/∂u per layer [layer][t][n] (bptt, sltt, sltt-k, tt-lbptt, ottt-*); null otherwise.</summary>
    public double[][][]? ErrorSignals;

    /// <summary>RateBP: firing rates r per layer; null otherwise.</summary>
    public double[][]? Rates;

    /// <summary>RateBP: eligibilities per layer; null otherwise.</summary>
    public double[][]? Eligibilities;
}
