using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Training;

/// <summary>
/// The per-step loss (1/T)·Σ over k steps of ℓ(o[t]) that the online and windowed estimators back-propagate: computed
/// inside the loss's own launches (the 1/T factor folded in, cross-entropy reading one step's labels for every step),
/// it must equal an independent double-precision loop, and bit for bit the separate operations it replaces (targets
/// repeated over the steps, the mean loss, then a scale), forward and backward.
/// </summary>
public sealed class StepLossTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    [Theory]
    [InlineData(Criterion.CrossEntropy, 1)]
    [InlineData(Criterion.CrossEntropy, 3)]
    [InlineData(Criterion.SquaredError, 1)]
    [InlineData(Criterion.SquaredError, 3)]
    public void Per_step_loss_matches_a_double_loop_and_the_separate_operations(Criterion criterion, int k)
    {
        const int batch = 5, classes = 4, steps = 6;
        var x = Rand.Uniform(k * batch * classes, 21, -3f, 3f);
        var labels = Enumerable.Range(0, batch).Select(i => (float)((i * 3) % classes)).ToArray();
        using var scope = TensorScope.Begin();
        var target = Tensor.FromArray(D, labels, batch);
        var loss = new SequenceLoss(criterion, LossReduction.PerStep, target);

        var fused = Tensor.FromArray(D, x, k * batch, classes).RequireGrad();
        using var tape = new Tape();
        Tensor value;
        long before = D.Activity.KernelLaunches;
        using (tape.Record()) value = loss.Steps(fused, k, steps);
        long forwardLaunches = D.Activity.KernelLaunches - before;
        var seed = Tensor.FromArray(D, [1.5f], 1);
        tape.Backward(value, seed);

        // The separate operations: targets repeated over the k steps, the criterion's mean, then the factor k/T.
        var repeated = Tensor.FromArray(D, Enumerable.Range(0, k).SelectMany(_ => labels).ToArray(), k * batch);
        var separate = Tensor.FromArray(D, x, k * batch, classes).RequireGrad();
        using var tape2 = new Tape();
        Tensor expected;
        using (tape2.Record())
        {
            using var oneHot = criterion == Criterion.SquaredError ? Ops.OneHot(repeated, classes) : null;
            using var mean = criterion == Criterion.CrossEntropy ? Ops.SoftmaxCrossEntropy(separate, repeated) : Ops.MseLoss(separate, oneHot!);
            expected = Ops.Scale(mean, (float)k / steps);
        }
        tape2.Backward(expected, seed);
        Assert.Equal(expected.ToArray(), value.ToArray());
        Assert.Equal(separate.Grad!.ToArray(), fused.Grad!.ToArray());

        // Independent reference in double: (1/T)·Σ_t mean over the rows of step t.
        double reference = 0;
        var gradient = new double[x.Length];
        for (int r = 0; r < k * batch; r++)
        {
            int label = (int)labels[r % batch];
            var row = x.Skip(r * classes).Take(classes).Select(v => (double)v).ToArray();
            if (criterion == Criterion.CrossEntropy)
            {
                double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
                reference += (Math.Log(sum) + max - row[label]) / batch / steps;
                for (int j = 0; j < classes; j++)
                    gradient[(r * classes) + j] = 1.5 * (Math.Exp(row[j] - max) / sum - (j == label ? 1 : 0)) / batch / steps;
            }
            else
            {
                for (int j = 0; j < classes; j++)
                {
                    double d = row[j] - (j == label ? 1 : 0);
                    reference += d * d / (batch * classes) / steps;
                    gradient[(r * classes) + j] = 1.5 * 2 * d / (batch * classes) / steps;
                }
            }
        }
        Close.Relative([reference], value.ToArray(), 1e-5);
        Close.Relative(gradient, fused.Grad.ToArray(), 1e-4);
        // Cross-entropy: the partial sums and their total (one launch of the CPU accelerator's form); squared error also
        // builds its one-hot targets (from the labels repeated over the steps when k > 1).
        int crossEntropy = D.Launch.UseHostKernels ? 1 : 2;
        Assert.Equal(criterion == Criterion.CrossEntropy ? crossEntropy : k == 1 ? 3 : 4, forwardLaunches);
    }
}
