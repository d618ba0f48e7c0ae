using ILGPU;
using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Mean softmax cross-entropy: the mean over the N rows of −log softmax(logits[n, :])[labels[n]], as a [1] tensor.
    /// Computed stably (the row maximum is subtracted before exponentiating), so logits of any magnitude are safe.
    /// Differentiable in <paramref name="logits"/>: the gradient is (softmax − onehot(labels)) / N times the incoming
    /// gradient; the backward keeps only handles on the logits and labels (no extra memory) and recomputes the softmax.
    /// </summary>
    /// <param name="logits">[N, C] scores.</param>
    /// <param name="labels">[N] class indices stored as floats (integral values in 0..C−1). They are read on the host
    /// once to validate them, unless they come from a data loader (checked on the host before the upload).</param>
    /// <returns>The mean cross-entropy over the rows, as a [1] tensor.</returns>
    /// <exception cref="ArgumentException">Wrong ranks or sizes, or a label that is not an integer in 0..C−1.</exception>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, Tensor labels) => SoftmaxCrossEntropy(logits, labels, 1f, labelsPerStep: false);

    /// <summary>
    /// <paramref name="factor"/> · <see cref="SoftmaxCrossEntropy(Tensor, Tensor)"/> in the same launches (the factor is
    /// applied after the mean, and to the incoming gradient first, as a separate scale would), where the labels may be
    /// those of one step of a time-major batch when <paramref name="labelsPerStep"/>: row r of the logits [k·N, C] takes
    /// label r mod N.
    /// </summary>
    internal static Tensor SoftmaxCrossEntropy(Tensor logits, Tensor labels, float factor, bool labelsPerStep)
    {
        const string name = "SoftmaxCrossEntropy";
        var device = Check.SameDevice(name, logits, labels);
        var (rows, classes) = CheckClassification(name, logits, labels, labelsPerStep);
        var loss = Tensor.Empty(device, 1);
        LossKernels.SoftmaxCrossEntropy(device, logits.View, labels.View, loss.View, rows, classes, factor);
        if (Tape.Begin(name, logits, labels) is not { } entry) return loss;
        var savedLogits = entry.Keep(logits);
        var savedLabels = entry.Keep(labels);
        entry.Complete(loss, g =>
        {
            var gx = Tensor.Empty(device, savedLogits.ShapeArray());
            LossKernels.SoftmaxCrossEntropyBackward(device, savedLogits.View, savedLabels.View, g[0]!.View, gx.View, rows, classes, factor);
            return [gx, null];
        });
        return loss;
    }

    /// <summary>
    /// Mean squared error: the mean over all elements of (x − target)², as a [1] tensor. Differentiable in both
    /// inputs (2(x − target)/n and its negative, times the incoming gradient).
    /// </summary>
    /// <param name="x">The prediction.</param>
    /// <param name="target">The target, shaped like <paramref name="x"/>.</param>
    /// <returns>The mean squared error, as a [1] tensor.</returns>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor MseLoss(Tensor x, Tensor target) => MseLoss(x, target, 1f);

    /// <summary>
    /// <paramref name="factor"/> · <see cref="MseLoss(Tensor, Tensor)"/> in the same launches (the factor is applied after
    /// the mean, and to the incoming gradient first, as a separate scale would).
    /// </summary>
    internal static Tensor MseLoss(Tensor x, Tensor target, float factor)
    {
        const string name = "MseLoss";
        var device = Check.SameDevice(name, x, target);
        Check.SameShape(name, x, target);
        var loss = Tensor.Empty(device, 1);
        LossKernels.MeanSquaredError(device, x.View, target.View, loss.View, factor);
        if (Tape.Begin(name, x, target) is not { } entry) return loss;
        bool needX = x.RequiresGrad, needTarget = target.RequiresGrad;
        var savedX = entry.Keep(x);
        var savedTarget = entry.Keep(target);
        entry.Complete(loss, g =>
        {
            var gx = needX ? Tensor.Empty(device, savedX.ShapeArray()) : null;
            var gt = needTarget ? Tensor.Empty(device, savedX.ShapeArray()) : null;
            LossKernels.MeanSquaredErrorBackward(device, savedX.View, savedTarget.View, g[0]!.View,
                gx?.View ?? default, gt?.View ?? default, needX, needTarget, factor);
            return [gx, gt];
        });
        return loss;
    }

    /// <summary>
    /// The number of rows of <paramref name="logits"/> [N, C] whose first maximal entry is at the index given by
    /// <paramref name="labels"/> [N] (waits for the device). Not recorded on the tape.
    /// </summary>
    /// <param name="logits">[N, C] scores.</param>
    /// <param name="labels">[N] class indices stored as floats.</param>
    /// <returns>How many rows are classified correctly.</returns>
    /// <exception cref="ArgumentException">Wrong ranks or sizes, or a label that is not an integer in 0..C−1.</exception>
    public static int CountCorrect(Tensor logits, Tensor labels)
    {
        const string name = "CountCorrect";
        var device = Check.SameDevice(name, logits, labels);
        var (rows, classes) = CheckClassification(name, logits, labels);
        using var count = Tensor.Empty(device, 1);
        LossKernels.CountCorrect(device, logits.View, labels.View, count.View, rows, classes);
        return (int)MathF.Round(count.Item());
    }

    /// <summary>
    /// Writes the count of <see cref="CountCorrect(Tensor, Tensor)"/> into <paramref name="count"/> (one element) on the
    /// device, without waiting for it.
    /// </summary>
    internal static void CountCorrectInto(Tensor logits, Tensor labels, ArrayView<float> count)
    {
        const string name = "CountCorrect";
        var device = Check.SameDevice(name, logits, labels);
        var (rows, classes) = CheckClassification(name, logits, labels);
        LossKernels.CountCorrect(device, logits.View, labels.View, count, rows, classes);
    }

    /// <summary>
    /// One-hot rows [N, <paramref name="classes"/>] of [N] class indices (validated as in <see cref="SoftmaxCrossEntropy(Tensor, Tensor)"/>),
    /// built on the device. Not recorded on the tape.
    /// </summary>
    internal static Tensor OneHot(Tensor labels, int classes)
    {
        const string name = "OneHot";
        var device = Check.SameDevice(name, labels);
        Check.Rank(name, labels, 1, "labels");
        CheckLabels(name, labels, classes, $"one-hot rows of {classes} classes");
        var y = Tensor.Empty(device, labels.Dim(0), classes);
        LossKernels.OneHot(device, labels.View, y.View, classes);
        return y;
    }

    /// <summary>Checks [N, C] logits and [N] integral labels in 0..C−1; returns (N, C).</summary>
    private static (int Rows, int Classes) CheckClassification(string operation, Tensor logits, Tensor labels, bool labelsPerStep = false)
    {
        Check.Rank(operation, logits, 2, "logits");
        if (labels.Rank != 1 || labels.Dim(0) != logits.Dim(0) && (!labelsPerStep || labels.Dim(0) == 0 || logits.Dim(0) % labels.Dim(0) != 0))
            throw new ArgumentException(
                $"{operation}: labels must have shape [{logits.Dim(0)}] for logits {Tensor.Format(logits.Shape)}, got {Tensor.Format(labels.Shape)}.");
        int rows = logits.Dim(0), classes = logits.Dim(1);
        if (classes == 0)
            throw new ArgumentException($"{operation}: logits {Tensor.Format(logits.Shape)} have no classes.");
        CheckLabels(operation, labels, classes, $"logits {Tensor.Format(logits.Shape)}");
        return (rows, classes);
    }

    /// <summary>Every label an integer in 0..classes−1: read on the host unless the loader already checked it there.</summary>
    private static void CheckLabels(string operation, Tensor labels, int classes, string against)
    {
        if (labels.CheckedClassCount > 0 && labels.CheckedClassCount <= classes) return;
        var values = labels.ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= 0f && v < classes) || v != MathF.Floor(v))
                throw new ArgumentException(
                    $"{operation}: label {v} at row {i} is not a class index in 0..{classes - 1} ({against}, labels {Tensor.Format(labels.Shape)}).");
        }
    }
}
