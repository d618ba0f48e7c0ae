using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Loss kernels and their launchers: softmax cross-entropy (forward, backward, accuracy count) and mean squared
/// error. Means are computed in two deterministic stages: a grid-stride kernel writes at most
/// <see cref="MaxPartials"/> partial sums (work item <c>w</c> adds rows or elements <c>w, w + P, w + 2P, ...</c>),
/// then one work item adds the partial sums in a fixed order and scales them. The result does not depend on the
/// launch grid, so it is the same on every device kind.
/// </summary>
internal static class LossKernels
{
    /// <summary>The most partial sums the first reduction stage writes.</summary>
    public const int MaxPartials = 1024;

    /// <summary>Number of partial sums used for <paramref name="work"/> rows or elements (1 to <see cref="MaxPartials"/>).</summary>
    public static int PartialCount(long work) => (int)Math.Clamp(work, 1, MaxPartials);

    /// <summary>
    /// loss[0] = factor · (mean over the <paramref name="rows"/> rows of −log softmax(logits[r, :])[labels[r mod L]]),
    /// the factor applied after the mean. <paramref name="logits"/> is [rows, classes] row-major, <paramref name="labels"/>
    /// holds L integral class indices, L dividing rows (one step's labels for time-major steps; validated by the caller;
    /// an invalid label yields NaN). Each row is reduced by one work item, stably (the row maximum is subtracted before
    /// exponentiating).
    /// </summary>
    public static void SoftmaxCrossEntropy(Device device, ArrayView<float> logits, ArrayView<float> labels, ArrayView<float> loss, int rows, int classes,
        float factor = 1f)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireRows("SoftmaxCrossEntropy", logits, labels, rows, classes);
        RequireLength("SoftmaxCrossEntropy", "loss", loss, 1);
        using var partials = Tensor.Empty(device, PartialCount(rows));
        float scale = rows == 0 ? float.NaN : (float)(1.0 / rows);
        if (device.Launch.UseHostKernels)
        {
            HostRowReduction(device, new HostRowSettings(CrossEntropyRows, rows, classes, (int)labels.Length, (int)partials.Length, scale, factor),
                logits, labels, partials.View, loss);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(CrossEntropyPartialKernel)(
            device.Launch.GridStride(partials.Length), logits, labels, partials.View, rows, classes);
        SumScaled(device, partials.View, loss, scale, factor);
    }

    /// <summary>
    /// gradLogits = (softmax(logits) − onehot(labels[r mod L])) · (g[0]·factor) / <paramref name="rows"/>, recomputing
    /// the softmax from the logits (one work item per row).
    /// </summary>
    public static void SoftmaxCrossEntropyBackward(Device device, ArrayView<float> logits, ArrayView<float> labels, ArrayView<float> g,
        ArrayView<float> gradLogits, int rows, int classes, float factor = 1f)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireRows("SoftmaxCrossEntropy backward", logits, labels, rows, classes);
        RequireLength("SoftmaxCrossEntropy backward", "output gradient", g, 1);
        Elementwise.RequireSameLength("SoftmaxCrossEntropy backward", logits, gradLogits);
        if (rows == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float, float>(CrossEntropyBackwardKernel)(
            device.Launch.GridStride(rows), logits, labels, g, gradLogits, rows, classes, (float)(1.0 / rows), factor);
    }

    /// <summary>
    /// count[0] = number of rows whose first maximal logit sits at the index of label r mod L (a float holding an integer).
    /// </summary>
    public static void CountCorrect(Device device, ArrayView<float> logits, ArrayView<float> labels, ArrayView<float> count, int rows, int classes)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireRows("CountCorrect", logits, labels, rows, classes);
        RequireLength("CountCorrect", "count", count, 1);
        using var partials = Tensor.Empty(device, PartialCount(rows));
        if (device.Launch.UseHostKernels)
        {
            HostRowReduction(device, new HostRowSettings(CorrectRows, rows, classes, (int)labels.Length, (int)partials.Length, 1f, 1f),
                logits, labels, partials.View, count);
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(CountCorrectPartialKernel)(
            device.Launch.GridStride(partials.Length), logits, labels, partials.View, rows, classes);
        SumScaled(device, partials.View, count, 1f, 1f);
    }

    /// <summary>y[r, c] = 1 where c = labels[r], else 0, for y viewed as [rows, <paramref name="classes"/>].</summary>
    public static void OneHot(Device device, ArrayView<float> labels, ArrayView<float> y, int classes)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (classes <= 0 || labels.Length * classes != y.Length)
            throw new ArgumentException($"LossKernels.OneHot: {labels.Length} labels do not make {y.Length} one-hot values of {classes} classes.");
        if (y.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int>(OneHotKernel)(device.Launch.GridStride(y.Length), labels, y, classes);
    }

    /// <summary>loss[0] = factor · (mean over all elements of (x − target)²), the factor applied after the mean.</summary>
    public static void MeanSquaredError(Device device, ArrayView<float> x, ArrayView<float> target, ArrayView<float> loss, float factor = 1f)
    {
        ArgumentNullException.ThrowIfNull(device);
        Elementwise.RequireSameLength("MseLoss", x, target);
        RequireLength("MseLoss", "loss", loss, 1);
        using var partials = Tensor.Empty(device, PartialCount(x.Length));
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, long>(SquaredErrorPartialKernel)(
            device.Launch.GridStride(partials.Length), x, target, partials.View, x.Length);
        SumScaled(device, partials.View, loss, x.Length == 0 ? float.NaN : (float)(1.0 / x.Length), factor);
    }

    /// <summary>
    /// The gradients of factor·mean((x − target)²) scaled by g[0]: gradX = 2(x − target)·(g[0]·factor)/n and
    /// gradTarget = −gradX.
    /// Either gradient may be skipped by passing null-like (empty) views with <paramref name="needX"/> or
    /// <paramref name="needTarget"/> false.
    /// </summary>
    public static void MeanSquaredErrorBackward(Device device, ArrayView<float> x, ArrayView<float> target, ArrayView<float> g,
        ArrayView<float> gradX, ArrayView<float> gradTarget, bool needX, bool needTarget, float factor = 1f)
    {
        ArgumentNullException.ThrowIfNull(device);
        Elementwise.RequireSameLength("MseLoss backward", x, target);
        RequireLength("MseLoss backward", "output gradient", g, 1);
        if (needX) Elementwise.RequireSameLength("MseLoss backward", x, gradX);
        if (needTarget) Elementwise.RequireSameLength("MseLoss backward", x, gradTarget);
        if (x.Length == 0 || !(needX || needTarget)) return;
        // A view that is not written (its flag is 0) is replaced by x so that the kernel never sees an empty view.
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, int, int, long>(SquaredErrorBackwardKernel)(
            device.Launch.GridStride(x.Length), x, target, g, needX ? gradX : x, needTarget ? gradTarget : x,
            (float)(2.0 / x.Length), factor, needX ? 1 : 0, needTarget ? 1 : 0, x.Length);
    }

    /// <summary>The row reductions of <see cref="HostRowReductionKernel"/>.</summary>
    private const int CrossEntropyRows = 0, CorrectRows = 1;

    /// <summary>
    /// The CPU accelerator's form of a row reduction and its total in ONE launch: the same partial sums as the portable
    /// partial kernels, then the thread that finishes last adds them in index order and scales them, as
    /// <see cref="SumScaledKernel"/> does.
    /// </summary>
    private static unsafe void HostRowReduction(Device device, HostRowSettings settings, ArrayView<float> logits, ArrayView<float> labels,
        ArrayView<float> partials, ArrayView<float> y)
    {
        // The pinned counter is kept alive until the kernel has run (the launch may only be recorded).
        var finished = GC.AllocateArray<int>(1, pinned: true);
        long counter = HostMemory.Address(finished);
        device.Kernels.Load<long, long, long, long, long, HostRowSettings>(HostRowReductionKernel)(device.Launch.GridStride(partials.Length),
            HostMemory.Address(logits), HostMemory.Address(labels), HostMemory.Address(partials), HostMemory.Address(y), counter, settings);
        device.Kernels.KeepAlive(finished);
    }

    private static void SumScaled(Device device, ArrayView<float> partials, ArrayView<float> y, float scale, float factor) =>
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, float, float>(SumScaledKernel)(device.Launch.GridStride(1), partials, y, scale, factor);

    private static void RequireRows(string operation, ArrayView<float> logits, ArrayView<float> labels, int rows, int classes)
    {
        if (rows < 0 || classes <= 0 || logits.Length != (long)rows * classes || (rows == 0 ? labels.Length != 0 : labels.Length == 0 || rows % labels.Length != 0))
            throw new ArgumentException(
                $"{operation}: expected logits of {rows} x {classes} and {rows} labels (or one step's share of them), got views of {logits.Length} and {labels.Length} elements.");
    }

    private static void RequireLength(string operation, string what, ArrayView<float> view, long length)
    {
        if (view.Length != length)
            throw new ArgumentException($"{operation}: {what} must hold {length} element(s), got {view.Length}.");
    }

    /// <summary>Index (0-based within the row) of the first maximum of the row starting at <paramref name="row"/>.</summary>
    private static int RowArgMax<TReader>(TReader logits, long row, int classes) where TReader : struct, IFloatReader
    {
        int best = 0;
        float max = logits[row];
        for (int j = 1; j < classes; j++)
        {
            float v = logits[row + j];
            if (v > max)
            {
                max = v;
                best = j;
            }
        }
        return best;
    }

    /// <summary>Σ_j exp(logits[row + j] − max): the softmax denominator, shifted by the row maximum for stability.</summary>
    private static float RowExpSum<TReader>(TReader logits, long row, int classes, float max) where TReader : struct, IFloatReader
    {
        float sum = 0f;
        for (int j = 0; j < classes; j++) sum += MathF.Exp(logits[row + j] - max);
        return sum;
    }

    /// <summary>−log softmax(row)[label], stably (the row maximum subtracted before exponentiating); NaN for a label outside [0, classes).</summary>
    private static float RowCrossEntropy<TReader>(TReader logits, long row, int classes, int label) where TReader : struct, IFloatReader
    {
        float max = logits[row + RowArgMax(logits, row, classes)];
        float sum = RowExpSum(logits, row, classes, max);
        return label < 0 || label >= classes ? float.NaN : MathF.Log(sum) - (logits[row + label] - max);
    }

    /// <summary>
    /// The host form of the row reductions: <see cref="CrossEntropyPartialKernel"/> or
    /// <see cref="CountCorrectPartialKernel"/> by <see cref="HostRowSettings.Form"/>, then <see cref="SumScaledKernel"/> by the
    /// last thread to finish (every other thread has written its partial sums by then).
    /// </summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run the partial kernels and SumScaledKernel.")]
    internal static unsafe void HostRowReductionKernel(long logits, long labels, long partials, long y, long counter, HostRowSettings s)
    {
        var x = new PointerReader(logits);
        float* lab = (float*)labels, part = (float*)partials;
        long parts = s.Parts, period = s.Period;
        foreach (long w in GridStride.Over(parts))
        {
            float sum = 0f;
            for (long r = w; r < s.Rows; r += parts)
            {
                long row = r * s.Classes;
                int label = (int)lab[r % period];
                if (s.Form == CorrectRows)
                {
                    if (RowArgMax(x, row, s.Classes) == label) sum += 1f;
                    continue;
                }
                sum += RowCrossEntropy(x, row, s.Classes, label);
            }
            part[w] = sum;
        }
        if (!HostMemory.LastToFinish(counter)) return;
        float total = 0f;
        for (long k = 0; k < parts; k++) total += part[k];
        *(float*)y = total * s.Scale * s.Factor;
    }

    [Kernel]
    internal static void CrossEntropyPartialKernel(ArrayView<float> logits, ArrayView<float> labels, ArrayView<float> partials, int rows, int classes)
    {
        var x = new ViewReader(logits);
        long parts = partials.Length, period = labels.Length;
        foreach (long w in GridStride.Over(parts))
        {
            float s = 0f;
            for (long r = w; r < rows; r += parts) s += RowCrossEntropy(x, r * classes, classes, (int)labels[r % period]);
            partials[w] = s;
        }
    }

    [Kernel]
    internal static void CrossEntropyBackwardKernel(ArrayView<float> logits, ArrayView<float> labels, ArrayView<float> g,
        ArrayView<float> gradLogits, int rows, int classes, float invRows, float factor)
    {
        float scale = (g[0] * factor) * invRows;
        var x = new ViewReader(logits);
        long period = labels.Length;
        foreach (long r in GridStride.Over(rows))
        {
            long row = r * classes;
            float max = logits[row + RowArgMax(x, row, classes)];
            float sum = RowExpSum(x, row, classes, max);
            float inv = 1f / sum;
            int label = (int)labels[r % period];
            for (int j = 0; j < classes; j++)
            {
                float p = MathF.Exp(logits[row + j] - max) * inv;
                if (j == label) p -= 1f;
                gradLogits[row + j] = p * scale;
            }
        }
    }

    [Kernel]
    internal static void OneHotKernel(ArrayView<float> labels, ArrayView<float> y, int classes)
    {
        foreach (long i in GridStride.Over(y.Length))
        {
            long row = i / classes;
            y[i] = (int)labels[row] == (int)(i - row * classes) ? 1f : 0f;
        }
    }

    [Kernel]
    internal static void CountCorrectPartialKernel(ArrayView<float> logits, ArrayView<float> labels, ArrayView<float> partials, int rows, int classes)
    {
        var x = new ViewReader(logits);
        long parts = partials.Length, period = labels.Length;
        foreach (long w in GridStride.Over(parts))
        {
            float s = 0f;
            for (long r = w; r < rows; r += parts)
            {
                if (RowArgMax(x, r * classes, classes) == (int)labels[r % period]) s += 1f;
            }
            partials[w] = s;
        }
    }

    [Kernel]
    internal static void SquaredErrorPartialKernel(ArrayView<float> x, ArrayView<float> target, ArrayView<float> partials, long n)
    {
        long parts = partials.Length;
        foreach (long w in GridStride.Over(parts))
        {
            float s = 0f;
            for (long i = w; i < n; i += parts)
            {
                float d = x[i] - target[i];
                s += d * d;
            }
            partials[w] = s;
        }
    }

    [Kernel]
    internal static void SquaredErrorBackwardKernel(ArrayView<float> x, ArrayView<float> target, ArrayView<float> g,
        ArrayView<float> gradX, ArrayView<float> gradTarget, float scale, float factor, int needX, int needTarget, long n)
    {
        float k = (g[0] * factor) * scale;
        foreach (long i in GridStride.Over(n))
        {
            float d = (x[i] - target[i]) * k;
            if (needX != 0) gradX[i] = d;
            if (needTarget != 0) gradTarget[i] = -d;
        }
    }

    /// <summary>y[0] = ((partials[0] + partials[1] + ...) · scale) · factor, the sum in index order by one work item.</summary>
    [Kernel]
    internal static void SumScaledKernel(ArrayView<float> partials, ArrayView<float> y, float scale, float factor)
    {
        foreach (long i in GridStride.Over(1))
        {
            float s = 0f;
            for (long k = 0; k < partials.Length; k++) s += partials[k];
            y[0] = s * scale * factor;
        }
    }
}

/// <summary>The scalars of <see cref="LossKernels.HostRowReductionKernel"/>.</summary>
/// <param name="Form">Cross-entropy (0) or the count of correct rows (1).</param>
/// <param name="Rows">Rows of the logits.</param>
/// <param name="Classes">Classes per row.</param>
/// <param name="Period">Number of labels (row r takes label r mod Period).</param>
/// <param name="Parts">Number of partial sums.</param>
/// <param name="Scale">The first factor of the total (1/rows for the mean).</param>
/// <param name="Factor">The second factor of the total.</param>
internal readonly record struct HostRowSettings(int Form, int Rows, int Classes, int Period, int Parts, float Scale, float Factor);
