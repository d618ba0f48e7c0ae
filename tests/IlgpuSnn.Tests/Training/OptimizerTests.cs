using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Training;

public sealed class OptimizerTests(TestDevice fixture)
{
    private static readonly int[][] Shapes = [[3, 4], [5], [2, 1, 3]];

    private Device D => fixture.Device;

    /// <summary>Independent double-precision SGD following the torch.optim.SGD docs (dampening 0).</summary>
    private sealed class SgdReference(double[][] p, double momentum, bool nesterov, double wd)
    {
        private readonly double[]?[] buf = new double[]?[p.Length];

        public double[][] P { get; } = p;

        public void Step(double lr, double[]?[] grads)
        {
            for (int i = 0; i < P.Length; i++)
            {
                var g = grads[i];
                if (g is null) continue;
                var first = buf[i] is null;
                buf[i] ??= new double[g.Length];
                for (int k = 0; k < g.Length; k++)
                {
                    double d = g[k] + wd * P[i][k];
                    if (momentum != 0)
                    {
                        buf[i]![k] = first ? d : momentum * buf[i]![k] + d;
                        d = nesterov ? d + momentum * buf[i]![k] : buf[i]![k];
                    }
                    P[i][k] -= lr * d;
                }
            }
        }
    }

    /// <summary>Independent double-precision AdamW following the torch.optim.AdamW docs (per-parameter step counts).</summary>
    private sealed class AdamWReference(double[][] p, double beta1, double beta2, double eps, double wd)
    {
        private readonly double[][] m = p.Select(x => new double[x.Length]).ToArray();
        private readonly double[][] v = p.Select(x => new double[x.Length]).ToArray();
        private readonly int[] t = new int[p.Length];

        public double[][] P { get; } = p;

        public void Step(double lr, double[]?[] grads)
        {
            for (int i = 0; i < P.Length; i++)
            {
                var g = grads[i];
                if (g is null) continue;
                t[i]++;
                for (int k = 0; k < g.Length; k++)
                {
                    P[i][k] *= 1 - lr * wd;
                    m[i][k] = beta1 * m[i][k] + (1 - beta1) * g[k];
                    v[i][k] = beta2 * v[i][k] + (1 - beta2) * g[k] * g[k];
                    double mHat = m[i][k] / (1 - Math.Pow(beta1, t[i]));
                    double vHat = v[i][k] / (1 - Math.Pow(beta2, t[i]));
                    P[i][k] -= lr * mHat / (Math.Sqrt(vHat) + eps);
                }
            }
        }
    }

    private Tensor[] MakeParameters(int seed, out double[][] values)
    {
        var data = Shapes.Select((s, i) => Rand.Uniform(s.Aggregate(1, (a, b) => a * b), seed + i)).ToArray();
        values = data.Select(d => d.Select(x => (double)x).ToArray()).ToArray();
        using (TensorScope.Suspend())
            return data.Select((d, i) => Tensor.FromArray(D, d, Shapes[i]).RequireGrad()).ToArray();
    }

    /// <summary>Gradients for step <paramref name="step"/>; parameter <paramref name="skip"/> gets none (null).</summary>
    private static float[]?[] Gradients(Tensor[] ps, int step, int skip = -1) =>
        ps.Select((p, i) => i == skip ? null : Rand.Uniform((int)p.Length, 1000 + 17 * step + i, -2f, 2f)).ToArray();

    private void SetGradients(Tensor[] ps, float[]?[] grads)
    {
        for (int i = 0; i < ps.Length; i++)
        {
            var old = ps[i].Grad;
            using (TensorScope.Suspend())
                ps[i].Grad = grads[i] is { } g ? Tensor.FromArray(D, g, ps[i].ShapeArray()) : null;
            old?.Dispose();
        }
    }

    private static double[]?[] ToDouble(float[]?[] grads) => grads.Select(g => g?.Select(x => (double)x).ToArray()).ToArray();

    private static void AssertClose(double[][] expected, Tensor[] actual, double tol)
    {
        for (int i = 0; i < expected.Length; i++) Close.Relative(expected[i], actual[i].ToArray(), tol, $"parameter {i}");
    }

    private static void Dispose(Tensor[] ps)
    {
        foreach (var p in ps) p.Dispose();
    }

    [Theory]
    [InlineData(0f, false, 0f)]
    [InlineData(0.9f, false, 0f)]
    [InlineData(0.9f, true, 0f)]
    [InlineData(0f, false, 0.1f)]
    [InlineData(0.8f, true, 0.05f)]
    [InlineData(0.5f, false, 0.2f)]
    public void Sgd_matches_reference_update_rule(float momentum, bool nesterov, float weightDecay)
    {
        var ps = MakeParameters(1, out var values);
        var reference = new SgdReference(values, momentum, nesterov, weightDecay);
        using var sgd = new Sgd(ps, 0.1f, momentum, nesterov, weightDecay);
        float[] lrs = [0.1f, 0.1f, 0.05f, 0.2f, 0.1f];
        for (int step = 0; step < lrs.Length; step++)
        {
            var grads = Gradients(ps, step);
            SetGradients(ps, grads);
            sgd.LearningRate = lrs[step];
            sgd.Step();
            reference.Step(lrs[step], ToDouble(grads));
        }
        Assert.Equal(lrs.Length, sgd.StepCount);
        AssertClose(reference.P, ps, 1e-5);
        sgd.ZeroGrad();
        Assert.All(ps, p => Assert.Null(p.Grad));
        Dispose(ps);
    }

    [Theory]
    [InlineData(1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f)]
    [InlineData(0.1f, 0.8f, 0.99f, 1e-3f, 0.1f)]
    [InlineData(3e-3f, 0f, 0.5f, 1e-8f, 0f)]
    public void AdamW_matches_reference_update_rule(float lr, float beta1, float beta2, float eps, float weightDecay)
    {
        var ps = MakeParameters(2, out var values);
        var reference = new AdamWReference(values, beta1, beta2, eps, weightDecay);
        using var adam = new AdamW(ps, lr, beta1, beta2, eps, weightDecay);
        float[] scales = [1f, 1f, 0.5f, 2f, 1f];
        for (int step = 0; step < scales.Length; step++)
        {
            var grads = Gradients(ps, step);
            SetGradients(ps, grads);
            adam.LearningRate = lr * scales[step];
            adam.Step();
            reference.Step(lr * scales[step], ToDouble(grads));
        }
        AssertClose(reference.P, ps, 1e-5);
        Dispose(ps);
    }

    [Fact]
    public void Parameters_without_gradient_are_left_untouched()
    {
        var ps = MakeParameters(3, out var values);
        var before = ps[1].ToArray();
        var sgdRef = new SgdReference(values.Select(v => (double[])v.Clone()).ToArray(), 0.9, false, 0.1);
        var adamRef = new AdamWReference(values.Select(v => (double[])v.Clone()).ToArray(), 0.9, 0.999, 1e-8, 0.1);
        var qs = MakeParameters(3, out _);
        using var sgd = new Sgd(ps, 0.1f, 0.9f, weightDecay: 0.1f);
        using var adam = new AdamW(qs, 0.01f, weightDecay: 0.1f);
        for (int step = 0; step < 4; step++)
        {
            // parameter 1 never has a gradient; parameter 2 misses one step (its AdamW step count lags, as in PyTorch)
            var grads = Gradients(ps, step, skip: 1);
            if (step == 1) grads[2] = null;
            SetGradients(ps, grads);
            SetGradients(qs, grads);
            sgd.Step();
            adam.Step();
            sgdRef.Step(0.1, ToDouble(grads));
            adamRef.Step(0.01, ToDouble(grads));
        }
        Assert.Equal(before, ps[1].ToArray());
        Assert.Equal(before, qs[1].ToArray());
        Assert.Null(ps[1].Grad);
        AssertClose(sgdRef.P, ps, 1e-5);
        AssertClose(adamRef.P, qs, 1e-5);
        Dispose(ps);
        Dispose(qs);
    }

    /// <summary>
    /// A step whose skip flag is set (on the device) changes no parameter and no state, and is not counted: the result
    /// equals the reference that never took the flagged steps, AdamW's bias corrections included.
    /// </summary>
    [Fact]
    public void A_step_with_its_skip_flag_set_changes_nothing_and_is_not_counted()
    {
        bool[] flagged = [false, true, false, true, true, false];
        var ps = MakeParameters(5, out var values);
        var qs = MakeParameters(5, out _);
        var sgdRef = new SgdReference(values.Select(v => (double[])v.Clone()).ToArray(), 0.9, true, 0.1);
        var adamRef = new AdamWReference(values.Select(v => (double[])v.Clone()).ToArray(), 0.9, 0.99, 1e-8, 0.1);
        using var sgd = new Sgd(ps, 0.1f, 0.9f, nesterov: true, weightDecay: 0.1f);
        using var adam = new AdamW(qs, 0.01f, beta1: 0.9f, beta2: 0.99f, weightDecay: 0.1f);
        Tensor flag;
        using (TensorScope.Suspend()) flag = Tensor.Zeros(D, 1);
        for (int step = 0; step < flagged.Length; step++)
        {
            var grads = Gradients(ps, step, skip: step == 2 ? 1 : -1);
            SetGradients(ps, grads);
            SetGradients(qs, grads);
            flag.CopyFrom([flagged[step] ? 1f : 0f]);
            sgd.Step(flag);
            adam.Step(flag);
            if (flagged[step]) continue;
            sgdRef.Step(0.1, ToDouble(grads));
            adamRef.Step(0.01, ToDouble(grads));
        }
        AssertClose(sgdRef.P, ps, 1e-5);
        AssertClose(adamRef.P, qs, 1e-5);
        Assert.Equal(3, sgd.StepCount);
        Assert.Equal(3, adam.StepCount);
        Assert.Equal([3f, 2f, 3f], adam.State().Single(kv => kv.Key == "param_steps").Value.ToArray());
        flag.Dispose();
        Dispose(ps);
        Dispose(qs);
    }

    [Fact]
    public void State_survives_scopes_and_round_trips_through_a_checkpoint()
    {
        var ps = MakeParameters(4, out _);
        var qs = MakeParameters(4, out _);
        AdamW a, b;
        using (var scope = TensorScope.Begin())
        {
            a = new AdamW(ps, 0.05f);
            b = new AdamW(qs, 0.05f);
        }
        using (a)
        using (b)
        {
            for (int step = 0; step < 3; step++)
            {
                var grads = Gradients(ps, step, skip: step == 0 ? 2 : -1);
                SetGradients(ps, grads);
                a.Step();
            }
            // "save" a's state and parameters, "load" them into b
            var saved = a.State().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
            Assert.Contains("exp_avg.0", saved.Keys);
            Assert.Contains("exp_avg_sq.2", saved.Keys);
            Assert.Equal([3f], saved["step"]);
            Assert.Equal([3f, 3f, 2f], saved["param_steps"]);
            foreach (var kv in b.State()) kv.Value.CopyFrom(saved[kv.Key]);
            for (int i = 0; i < ps.Length; i++) qs[i].CopyFrom(ps[i].ToArray());
            Assert.Equal(3, b.StepCount);

            var next = Gradients(ps, 7);
            SetGradients(ps, next);
            SetGradients(qs, next);
            a.Step();
            b.Step();
            for (int i = 0; i < ps.Length; i++) Assert.Equal(ps[i].ToArray(), qs[i].ToArray());
            Assert.Equal(4, b.StepCount);
        }
        Dispose(ps);
        Dispose(qs);
    }

    [Fact]
    public void Sgd_state_lists_momentum_buffers_and_step()
    {
        var ps = MakeParameters(5, out _);
        using (var sgd = new Sgd(ps, 0.1f, momentum: 0.9f))
        {
            Assert.Equal(["momentum.0", "momentum.1", "momentum.2", "step"], sgd.State().Select(kv => kv.Key));
            SetGradients(ps, Gradients(ps, 0));
            sgd.Step();
            var state = sgd.State().ToDictionary(kv => kv.Key, kv => kv.Value);
            Assert.Equal(1f, state["step"].Item());
            state["step"].CopyFrom([41f]);
            Assert.Equal(41, sgd.StepCount);
        }
        using (var plain = new Sgd(ps, 0.1f))
            Assert.Equal(["step"], plain.State().Select(kv => kv.Key));
        Dispose(ps);
    }

    [Fact]
    public void Training_a_linear_fit_with_mse_reduces_the_loss()
    {
        var ps = MakeParameters(6, out _);
        var w = ps[1];
        var target = Rand.Uniform(5, 60);
        using var t = Tensor.FromArray(D, target, 5);
        using var sgd = new Sgd([w], 0.2f, momentum: 0.5f);
        float first = 0, last = 0;
        for (int step = 0; step < 20; step++)
        {
            using var scope = TensorScope.Begin();
            using var tape = new Tape();
            Tensor loss;
            using (tape.Record()) loss = Ops.MseLoss(w, t);
            if (step == 0) first = loss.Item();
            last = loss.Item();
            tape.Backward(loss);
            sgd.Step();
            sgd.ZeroGrad();
        }
        Assert.True(last < first * 0.05f, $"loss {first} -> {last}");
        Dispose(ps);
    }

    [Fact]
    public void Invalid_arguments_throw()
    {
        var ps = MakeParameters(7, out _);
        Assert.Throws<ArgumentException>(() => new Sgd([], 0.1f));
        Assert.Throws<ArgumentException>(() => new Sgd(ps, -1f));
        Assert.Throws<ArgumentException>(() => new Sgd(ps, 0.1f, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd([ps[0], ps[0]], 0.1f));
        Assert.Throws<ArgumentException>(() => new AdamW(ps, 0.1f, beta1: 1f));
        Assert.Throws<ArgumentException>(() => new AdamW(ps, 0.1f, eps: -1f));
        using var sgd = new Sgd(ps, 0.1f);
        Assert.Throws<ArgumentException>(() => sgd.LearningRate = float.NaN);
        Dispose(ps);
    }
}
