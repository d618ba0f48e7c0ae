namespace IlgpuSnn.Tests.Reference;

/// <summary>
/// ℓ(o, y) of one sample and ∂ℓ/∂o, from the definitions (spec §3, issue 14): half-se ½‖o − y‖², mse (1/C)‖o − y‖²
/// (PyTorch's MSELoss), ce −log softmax(o)[label] (y one-hot), ce+mse (1 − λ)·ce + λ·mse.
/// </summary>
public static class ReferenceLoss
{
    /// <summary>The loss of one read-out <paramref name="o"/> against the target vector <paramref name="y"/>.</summary>
    public static double Of(string kind, double[] o, double[] y, double mseWeight, out double[] d)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(y);
        int n = o.Length;
        double HalfSe(out double[] g)
        {
            g = o.Select((v, j) => v - y[j]).ToArray();
            return 0.5 * g.Sum(e => e * e);
        }
        double Mse(out double[] g)
        {
            var e = o.Select((v, j) => v - y[j]).ToArray();
            g = e.Select(x => 2 * x / n).ToArray();
            return e.Sum(x => x * x) / n;
        }
        double Ce(out double[] g)
        {
            double max = o.Max();
            var exp = o.Select(v => Math.Exp(v - max)).ToArray();
            double sum = exp.Sum();
            int label = Array.IndexOf(y, 1.0);
            g = exp.Select((e, j) => e / sum - (j == label ? 1 : 0)).ToArray();
            return Math.Log(sum) - (o[label] - max);
        }
        switch (kind)
        {
            case "half-se": return HalfSe(out d);
            case "mse": return Mse(out d);
            case "ce": return Ce(out d);
            case "ce+mse":
            {
                double a = Ce(out var ga), b = Mse(out var gb);
                d = ga.Select((v, j) => (1 - mseWeight) * v + mseWeight * gb[j]).ToArray();
                return (1 - mseWeight) * a + mseWeight * b;
            }
            default: throw new ArgumentException($"reference: unknown loss kind {kind}");
        }
    }

    /// <summary>The one-hot vector of <paramref name="label"/> over <paramref name="classes"/>.</summary>
    public static double[] OneHot(int label, int classes)
    {
        var y = new double[classes];
        y[label] = 1;
        return y;
    }
}
