// The gradcheck-shaped view (fully connected layers with biases and BatchNorm, a batch of B samples, the `snn gradcheck`
// JSON's fields) of the general float64 reference NetworkReference, which is written from the definitions
// (../shared/design/estimators.md §3-§9 and issue 14), not from library code:
//   layer l:  z = W·x + b;  BatchNorm as PyTorch's BatchNorm1d in training mode over a group of samples (one step's B
//             samples when per step, all T·B or a window's k·B when folded): biased variance to normalise, unbiased
//             variance and momentum 0.1 for the running statistics (from 0 and 1, updated once per group);
//             u[t] = λ·v[t−1] + z[t], s = H(u − Vth), v = u − Vth·s (soft) or u·(1 − s) (hard).
//   read-out  o[t] = Wo·s_L[t] + bo.
//   loss      per sample ℓ: half-se ½‖o − y‖², mse (1/C)‖o − y‖², ce −log softmax(o)[y], ce+mse (1−λ)·ce + λ·mse(onehot);
//             L = mean over the batch; per step (1/T)Σ_t, or on the mean output ō.
//   methods   bptt: the whole unrolled graph; sltt: every temporal edge v[t−1] → u[t] cut; tt-lbptt (one block):
//             the carried state cut at every window start. The gradient at fixed weights is the sum over updates.
namespace IlgpuSnn.Tests.Reference;

/// <summary>One spiking layer of a <see cref="BatchNormCase"/>.</summary>
public sealed record BatchNormLayer(double[][] Weight, double[]? Bias, double[]? Gamma, double[]? Beta, double Eps = 1e-5);

/// <summary>A batched case with biases and BatchNorm.</summary>
public sealed class BatchNormCase
{
    public string Estimator { get; set; } = "bptt";
    public double[][][] Inputs { get; set; } = [];   // [T][B][in]
    public double[][] Target { get; set; } = [];     // [B][C]
    public BatchNormLayer[] Layers { get; set; } = [];
    public double[][] Readout { get; set; } = [];
    public double[]? ReadoutBias { get; set; }
    public double Decay { get; set; } = 0.5;
    public double Threshold { get; set; } = 1.0;
    public bool HardReset { get; set; }
    public bool DetachReset { get; set; }
    public bool MeanOutput { get; set; }
    public string LossKind { get; set; } = "half-se";
    public double MseWeight { get; set; } = 0.05;
    public bool FoldedStatistics { get; set; }
    public int? Window { get; set; }
}

/// <summary>Gradients and running statistics of a <see cref="BatchNormCase"/>.</summary>
public sealed class BatchNormResult
{
    public double Loss { get; set; }
    public double[][][] Weights { get; set; } = [];
    public double[]?[] Biases { get; set; } = [];
    public double[]?[] Gamma { get; set; } = [];
    public double[]?[] Beta { get; set; } = [];
    public double[][] Readout { get; set; } = [];
    public double[]? ReadoutBias { get; set; }
    public double[]?[] RunningMean { get; set; } = [];
    public double[]?[] RunningVariance { get; set; } = [];
    public double[][][][] Spikes { get; set; } = []; // [l][t][b][n]

    /// <summary>The smallest |u − Vth| met: how far the case is from a spike that rounding could flip.</summary>
    public double Margin { get; set; } = double.MaxValue;
}

/// <summary>The reference: the case as a <see cref="NetworkCase"/>, run by <see cref="NetworkReference"/>.</summary>
public static class BatchNormReference
{
    public static BatchNormResult Run(BatchNormCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var neuron = new NetNeuron(c.Decay, c.Threshold, c.HardReset, c.DetachReset);
        static NetLinear Linear(double[][] w, double[]? bias) => new(w[0].Length, w.Length, w.SelectMany(r => r).ToArray(), bias);
        var layers = new List<NetLayer>();
        var normIndex = new int[c.Layers.Length]; // index of each spiking layer's BatchNorm in `layers`
        for (int l = 0; l < c.Layers.Length; l++)
        {
            layers.Add(Linear(c.Layers[l].Weight, c.Layers[l].Bias));
            normIndex[l] = layers.Count;
            if (c.Layers[l].Gamma is { } gamma) layers.Add(new NetBatchNorm(gamma, c.Layers[l].Beta!, c.Layers[l].Eps));
            layers.Add(neuron);
        }
        layers.Add(Linear(c.Readout, c.ReadoutBias));
        var r = NetworkReference.Run(new NetworkCase
        {
            Estimator = c.Estimator,
            InputShape = [c.Inputs[0][0].Length],
            Inputs = c.Inputs,
            Targets = c.Target,
            Layers = [.. layers],
            LossKind = c.LossKind,
            MseWeight = c.MseWeight,
            MeanOutput = c.MeanOutput,
            Folded = c.FoldedStatistics,
            Window = c.Window,
        });

        int p = 0;
        double[][] Matrix(int rows)
        {
            var flat = r.Gradients[p++];
            return flat.Chunk(flat.Length / rows).ToArray();
        }
        var result = new BatchNormResult
        {
            Loss = r.Loss,
            Spikes = r.Spikes,
            Margin = r.Margin,
            Weights = new double[c.Layers.Length][][],
            Biases = new double[]?[c.Layers.Length],
            Gamma = new double[]?[c.Layers.Length],
            Beta = new double[]?[c.Layers.Length],
            RunningMean = new double[]?[c.Layers.Length],
            RunningVariance = new double[]?[c.Layers.Length],
        };
        for (int l = 0; l < c.Layers.Length; l++)
        {
            result.Weights[l] = Matrix(c.Layers[l].Weight.Length);
            if (c.Layers[l].Bias is not null) result.Biases[l] = r.Gradients[p++];
            if (c.Layers[l].Gamma is null) continue;
            result.Gamma[l] = r.Gradients[p++];
            result.Beta[l] = r.Gradients[p++];
            result.RunningMean[l] = r.RunningMean[normIndex[l]];
            result.RunningVariance[l] = r.RunningVariance[normIndex[l]];
        }
        result.Readout = Matrix(c.Readout.Length);
        if (c.ReadoutBias is not null) result.ReadoutBias = r.Gradients[p++];
        return result;
    }
}
