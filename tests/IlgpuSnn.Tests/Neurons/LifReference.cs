namespace IlgpuSnn.Tests.Neurons;

/// <summary>
/// Independent double-precision reference of the LIF neuron for the tests: plain loops over neurons and time,
/// hand-written surrogate formulas, hand-written BPTT. Shares no code with the library.
/// </summary>
internal static class LifReference
{
    public static readonly string[] Surrogates = ["sigmoid", "triangle", "rectangle", "atan"];

    public static double DefaultAlpha(string kind) => kind switch
    {
        "sigmoid" => 4,
        "triangle" => 1,
        "rectangle" => 1,
        _ => 2,
    };

    public static double Sg(string kind, double alpha, double z)
    {
        switch (kind)
        {
            case "sigmoid":
                double sig = 1 / (1 + Math.Exp(-alpha * z));
                return alpha * sig * (1 - sig);
            case "triangle":
                return Math.Max(0, alpha - alpha * alpha * Math.Abs(z));
            case "rectangle":
                return Math.Abs(z) <= alpha / 2 ? 1 / alpha : 0;
            default:
                double k = Math.PI / 2 * alpha * z;
                return alpha / (2 * (1 + k * k));
        }
    }

    /// <summary>Points where a float computation could disagree with the reference on a spike or a σ' jump.</summary>
    public static double Margin(string kind, double alpha, double z)
    {
        double m = Math.Abs(z);
        if (kind == "rectangle") m = Math.Min(m, Math.Abs(Math.Abs(z) - alpha / 2));
        return m;
    }

    public sealed record Result(double[] U, double[] S, double[] V, double[] Sg, double[] FinalV, double MinMargin);

    /// <summary>Forward over current [T, N] (time-major), from v0 (zeros when null).</summary>
    public static Result Forward(float[] current, int steps, double decay, double threshold, bool hard,
        string kind, double alpha, float[]? v0 = null)
    {
        int n = current.Length / steps;
        var u = new double[current.Length];
        var s = new double[current.Length];
        var v = new double[current.Length];
        var sg = new double[current.Length];
        var final = new double[n];
        double margin = double.MaxValue;
        for (int i = 0; i < n; i++)
        {
            double prev = v0 is null ? 0 : v0[i];
            for (int t = 0; t < steps; t++)
            {
                int k = t * n + i;
                u[k] = decay * prev + current[k];
                double z = u[k] - threshold;
                s[k] = z >= 0 ? 1 : 0;
                sg[k] = Sg(kind, alpha, z);
                v[k] = hard ? u[k] * (1 - s[k]) : u[k] - threshold * s[k];
                margin = Math.Min(margin, Margin(kind, alpha, z));
                prev = v[k];
            }
            final[i] = prev;
        }
        return new Result(u, s, v, sg, final, margin);
    }

    /// <summary>∂v/∂u of one step.</summary>
    public static double Jacobian(bool hard, bool detach, double threshold, double u, double s, double sg) =>
        hard ? (detach ? 1 - s : (1 - s) - u * sg) : (detach ? 1 : 1 - threshold * sg);

    /// <summary>BPTT: dL/dI [T, N] from dL/ds [T, N] (v[T] gets no gradient).</summary>
    public static double[] Backward(Result f, double[] spikeGrad, int steps, double decay, double threshold, bool hard, bool detach)
    {
        int n = spikeGrad.Length / steps;
        var gi = new double[spikeGrad.Length];
        for (int i = 0; i < n; i++)
        {
            double guNext = 0;
            for (int t = steps - 1; t >= 0; t--)
            {
                int k = t * n + i;
                double gv = decay * guNext;
                double gu = spikeGrad[k] * f.Sg[k] + gv * Jacobian(hard, detach, threshold, f.U[k], f.S[k], f.Sg[k]);
                gi[k] = gu;
                guNext = gu;
            }
        }
        return gi;
    }

    /// <summary>
    /// Random currents whose reference forward keeps every z = u − Vth at least <paramref name="minMargin"/> away
    /// from the spike threshold and from surrogate jumps (tries successive seeds).
    /// </summary>
    public static float[] SafeCurrents(int steps, int n, int seed, double decay, double threshold, bool hard,
        string kind, double alpha, float lo = -0.5f, float hi = 1.5f, double minMargin = 1e-3, float[]? v0 = null)
    {
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            var c = Support.Rand.Uniform(steps * n, seed + 7919 * attempt, lo, hi);
            if (Forward(c, steps, decay, threshold, hard, kind, alpha, v0).MinMargin >= minMargin) return c;
        }
        throw new InvalidOperationException("no random input kept its distance from the threshold");
    }
}
