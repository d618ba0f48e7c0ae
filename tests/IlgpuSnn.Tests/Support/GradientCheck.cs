using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Tests.Support;

/// <summary>
/// Compares the tape's gradients with central finite differences of the same forward. The scalar checked is
/// sum(r * f(x)) with a fixed random r, so every output element contributes.
/// </summary>
public static class GradientCheck
{
    public static void Assert(Device device, Func<Tensor[], Tensor> f, (float[] Data, int[] Shape)[] inputs,
        double eps = 1e-2, double atol = 1e-3, double rtol = 1e-2, int maxChecksPerInput = 48, int seed = 1,
        bool[]? checkInput = null)
    {
        var rng = new Random(seed);
        float[] r;
        float[][] analytic;
        using (var scope = TensorScope.Begin())
        {
            var xs = inputs.Select((x, i) => Tensor.FromArray(device, x.Data, x.Shape)).ToArray();
            for (int i = 0; i < xs.Length; i++) if (checkInput?[i] ?? true) xs[i].RequireGrad();
            using var tape = new Tape();
            Tensor y;
            using (tape.Record()) y = f(xs);
            r = Enumerable.Range(0, (int)y.Length).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            using var seedTensor = Tensor.FromArray(device, r, y.ShapeArray());
            tape.Backward(y, seedTensor);
            analytic = xs.Select(x => x.Grad?.ToArray() ?? new float[x.Length]).ToArray();
            foreach (var x in xs) x.Dispose();
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            if (!(checkInput?[i] ?? true)) continue;
            var data = inputs[i].Data;
            var indices = Enumerable.Range(0, data.Length).OrderBy(_ => rng.Next()).Take(maxChecksPerInput);
            foreach (var j in indices)
            {
                double Eval(float delta)
                {
                    var copy = inputs.Select(x => (float[])x.Data.Clone()).ToArray();
                    copy[i][j] += delta;
                    using var scope = TensorScope.Begin();
                    var xs = copy.Select((c, k) => Tensor.FromArray(device, c, inputs[k].Shape)).ToArray();
                    var y = f(xs).ToArray();
                    double s = 0;
                    for (int k = 0; k < y.Length; k++) s += (double)y[k] * r[k];
                    return s;
                }

                double numeric = (Eval((float)eps) - Eval((float)-eps)) / (2 * eps);
                double a = analytic[i][j];
                if (Math.Abs(a - numeric) > atol + rtol * Math.Abs(numeric))
                    Xunit.Assert.Fail($"input {i} element {j}: analytic {a:G6}, finite difference {numeric:G6}");
            }
        }
    }
}
