using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Batch normalisation of x [N, C] or [N, C, H, W] with per-channel statistics over N (and H, W):
    /// y = gamma·(x − mean)/sqrt(var + eps) + beta. In training mode the batch mean and biased variance are used and
    /// <paramref name="runningMean"/> / <paramref name="runningVar"/> are updated in place as PyTorch does
    /// (running = (1 − momentum)·running + momentum·batch, with the unbiased batch variance for the running variance);
    /// in evaluation mode the running statistics are used and left unchanged. Differentiable in x, gamma and beta
    /// (gamma, beta and the running statistics have shape [C]); keeps only x̂ and a per-channel scale.
    /// With a <paramref name="reducer"/> (training only) the batch is the global batch of all replicas: the statistics,
    /// the running-statistics update and the backward's sums are those of the union of the replicas' inputs.
    /// </summary>
    /// <param name="x">Input [N, C, ...] (channels on axis 1).</param>
    /// <param name="gamma">Per-channel scale [C].</param>
    /// <param name="beta">Per-channel shift [C].</param>
    /// <param name="runningMean">Running mean [C]: read in evaluation, updated in place in training.</param>
    /// <param name="runningVar">Running (unbiased) variance [C]: read in evaluation, updated in place in training.</param>
    /// <param name="training">True to normalise with the batch statistics and update the running ones.</param>
    /// <param name="momentum">Weight of the new batch statistics in the running averages.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="reducer">Sums the statistics over the replicas of a data-parallel job; null for this batch alone.</param>
    /// <returns>The normalised, scaled and shifted tensor, shaped like <paramref name="x"/>.</returns>
    public static Tensor BatchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, bool training,
        float momentum = 0.1f, float eps = 1e-5f, IBatchStatisticsReducer? reducer = null)
    {
        const string name = "BatchNorm";
        var device = Check.SameDevice(name, x, gamma, beta, runningMean, runningVar);
        var (channels, spatial) = BatchNormLayout(name, x);
        CheckPerChannel(name, x, channels, (gamma, "gamma"), (beta, "beta"), (runningMean, "runningMean"), (runningVar, "runningVar"));
        if (!training) return Normalize(name, device, x, gamma, beta, runningMean.View, runningVar.View, batchStatistics: false, eps, channels, spatial);

        long count = x.Length / Math.Max(channels, 1);
        if (reducer is null)
        {
            if (count <= 1) throw TooFewValues(name, x);
            // One pass: the batch statistics normalise x and update the running ones.
            return Normalize(name, device, x, gamma, beta, runningMean.View, runningVar.View, batchStatistics: true, eps, channels, spatial, updateRunning: momentum);
        }
        using var mean = Tensor.Empty(device, channels);
        using var variance = Tensor.Empty(device, channels);
        BatchNormKernels.ChannelStatistics(device, x.View, mean.View, variance.View, channels, spatial);
        var (total, share) = SynchronizeStatistics(reducer, mean, variance, count);
        if (total <= 1) throw TooFewValues(name, x);
        BatchNormKernels.UpdateRunning(device, mean.View, variance.View, runningMean.View, runningVar.View, momentum, total);
        return Normalize(name, device, x, gamma, beta, mean.View, variance.View, batchStatistics: true, eps, channels, spatial, reducer, share);
    }

    private static ArgumentException TooFewValues(string name, Tensor x) =>
        new($"{name}: training needs more than one value per channel, got input {Tensor.Format(x.Shape)}.", nameof(x));

    /// <summary>
    /// Normalises x [N, C] or [N, C, H, W] with the GIVEN per-channel <paramref name="mean"/> and
    /// <paramref name="variance"/> ([C]), y = gamma·(x − mean)/s + beta with s = sqrt(variance + eps), but
    /// back-propagates as if they were the batch statistics of x (training-mode batch-norm backward):
    /// dx = (1/s)·[g − mean(g) − x̂·mean(g⊙x̂)], g = gamma·dL/dy. Differentiable in x, gamma and beta (not in the
    /// statistics). Used by the RateBP rate pass.
    /// </summary>
    /// <param name="x">Input [N, C, ...] (channels on axis 1).</param>
    /// <param name="gamma">Per-channel scale [C].</param>
    /// <param name="beta">Per-channel shift [C].</param>
    /// <param name="mean">The per-channel mean [C] to normalise with (a constant).</param>
    /// <param name="variance">The per-channel biased variance [C] to normalise with (a constant).</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <returns>The normalised, scaled and shifted tensor, shaped like <paramref name="x"/>.</returns>
    public static Tensor BatchNormWithStatistics(Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor variance, float eps = 1e-5f)
    {
        const string name = "BatchNormWithStatistics";
        var device = Check.SameDevice(name, x, gamma, beta, mean, variance);
        var (channels, spatial) = BatchNormLayout(name, x);
        CheckPerChannel(name, x, channels, (gamma, "gamma"), (beta, "beta"), (mean, "mean"), (variance, "variance"));
        return Normalize(name, device, x, gamma, beta, mean.View, variance.View, batchStatistics: true, eps, channels, spatial);
    }

    /// <summary>
    /// Per-channel mean and biased variance of x [N, C] or [N, C, H, W] (over N and H, W), as new tensors of shape
    /// [C]. Not recorded on the tape.
    /// </summary>
    /// <param name="x">Input [N, C, ...] (channels on axis 1).</param>
    /// <param name="mean">The per-channel mean [C].</param>
    /// <param name="variance">The per-channel biased variance [C].</param>
    public static void ChannelStatistics(Tensor x, out Tensor mean, out Tensor variance)
    {
        const string name = "ChannelStatistics";
        var device = Check.SameDevice(name, x);
        var (channels, spatial) = BatchNormLayout(name, x);
        mean = Tensor.Empty(device, channels);
        variance = Tensor.Empty(device, channels);
        BatchNormKernels.ChannelStatistics(device, x.View, mean.View, variance.View, channels, spatial);
    }

    /// <summary>
    /// Normalises x with <paramref name="mean"/> and <paramref name="variance"/>, or, when <paramref name="updateRunning"/>
    /// is the momentum, with x's own batch statistics, folding them into the running statistics that
    /// <paramref name="mean"/> and <paramref name="variance"/> then are; records the backward.
    /// </summary>
    private static Tensor Normalize(string name, Device device, Tensor x, Tensor gamma, Tensor beta, ILGPU.ArrayView<float> mean,
        ILGPU.ArrayView<float> variance, bool batchStatistics, float eps, int channels, int spatial, IBatchStatisticsReducer? reducer = null, double share = 1,
        float? updateRunning = null)
    {
        var entry = Tape.Begin(name, x, gamma, beta);
        bool record = entry is not null;
        bool needX = record && x.RequiresGrad, needGamma = record && gamma.RequiresGrad, needBeta = record && beta.RequiresGrad;
        // x̂ is read by the backward for dgamma, and for dx when the statistics are the batch's.
        bool keepXhat = needGamma || (needX && batchStatistics);
        var y = Tensor.Empty(device, x.ShapeArray());
        using var scale = Tensor.Empty(device, channels);
        using var xhat = keepXhat ? Tensor.Empty(device, x.ShapeArray()) : null;
        if (updateRunning is { } momentum)
            BatchNormKernels.TrainForward(device, x.View, gamma.View, beta.View, mean, variance, momentum, eps, y.View, (xhat ?? y).View, keepXhat, scale.View, channels, spatial);
        else
            BatchNormKernels.Normalize(device, x.View, mean, variance, gamma.View, beta.View, eps, y.View, (xhat ?? y).View, keepXhat, scale.View, channels, spatial);
        if (entry is null) return y;

        var savedXhat = xhat is null ? null : entry.Keep(xhat);
        var savedScale = needX ? entry.Keep(scale) : null;
        var xShape = x.ShapeArray();
        entry.Complete(y, g =>
        {
            var (dx, dgamma, dbeta) = BatchNormBackward(device, g[0]!, xShape, savedXhat, null, savedScale, needX, needGamma, needBeta, batchStatistics,
                channels, spatial, reducer, share);
            return [dx, dgamma, dbeta];
        });
        return y;
    }

    /// <summary>
    /// The backward of a batch normalisation from dL/dy: dx (when <paramref name="needX"/>), dγ = Σ dy·x̂ and dβ = Σ dy
    /// per channel. x̂ is <paramref name="normalized"/> itself, or, with a normalisation <paramref name="table"/> [4, C]
    /// (see <see cref="ChannelNormalization"/>), recomputed from <paramref name="normalized"/> = x as (x − μ[c])·ρ[c].
    /// </summary>
    private static (Tensor? Dx, Tensor? Dgamma, Tensor? Dbeta) BatchNormBackward(Device device, Tensor dy, int[] xShape, Tensor? normalized, Tensor? table,
        Tensor? scale, bool needX, bool needGamma, bool needBeta, bool batchStatistics, int channels, int spatial, IBatchStatisticsReducer? reducer = null,
        double share = 1)
    {
        Tensor? dx = null, dgamma = null, dbeta = null;
        bool needSums = needGamma || needBeta || (needX && batchStatistics);
        if (!needSums)
        {
            dx = Tensor.Empty(device, xShape);
            BatchNormKernels.BackwardInput(device, dy.View, dy.View, scale!.View, scale.View, scale.View, dx.View, false, channels, spatial);
            return (dx, null, null);
        }
        var sumDy = Tensor.Empty(device, channels);
        var sumDyXhat = Tensor.Empty(device, channels);
        var tableView = table?.View;
        if (needX && batchStatistics && reducer is null)
        {
            // One pass: the sums (also dgamma, dbeta) and dx.
            dx = Tensor.Empty(device, xShape);
            BatchNormKernels.Backward(device, dy.View, normalized!.View, scale!.View, sumDy.View, sumDyXhat.View, dx.View, channels, spatial, tableView);
        }
        else if (normalized is not null)
        {
            BatchNormKernels.ChannelSumProduct(device, dy.View, normalized.View, sumDy.View, sumDyXhat.View, channels, spatial, tableView);
        }
        else
        {
            // Only beta (and x with fixed statistics) need gradients: Σ dy alone.
            BatchNormKernels.ChannelSumProduct(device, dy.View, dy.View, sumDy.View, sumDyXhat.View, channels, spatial);
        }
        if (needX && dx is null)
        {
            dx = Tensor.Empty(device, xShape);
            var xh = normalized ?? dy;
            // Synchronised: dx needs the global batch's sums; dgamma and dbeta stay this replica's (the gradient all-reduce adds them).
            var (globalDy, globalDyXhat) = reducer is null ? (null, null) : SynchronizeBackwardSums(reducer, sumDy, sumDyXhat, share);
            using (globalDy)
            using (globalDyXhat)
            {
                BatchNormKernels.BackwardInput(device, dy.View, xh.View, scale!.View, (globalDy ?? sumDy).View, (globalDyXhat ?? sumDyXhat).View, dx.View,
                    batchStatistics, channels, spatial, normalized is null ? null : tableView);
            }
        }
        if (needGamma) dgamma = sumDyXhat;
        else sumDyXhat.Dispose();
        if (needBeta) dbeta = sumDy;
        else sumDy.Dispose();
        return (dx, dgamma, dbeta);
    }

    private static (int Channels, int Spatial) BatchNormLayout(string name, Tensor x)
    {
        if (x.Rank != 2 && x.Rank != 4)
            throw new ArgumentException($"{name}: input must be [N, C] or [N, C, H, W], got shape {Tensor.Format(x.Shape)}.", nameof(x));
        int spatial = x.Rank == 4 ? checked(x.Dim(2) * x.Dim(3)) : 1;
        if (x.Dim(1) == 0 || spatial == 0)
            throw new ArgumentException($"{name}: input of shape {Tensor.Format(x.Shape)} has no channels or empty planes.", nameof(x));
        return (x.Dim(1), spatial);
    }

    private static void CheckPerChannel(string name, Tensor x, int channels, params ReadOnlySpan<(Tensor Tensor, string What)> perChannel)
    {
        foreach (var (t, what) in perChannel)
        {
            if (t.Rank != 1 || t.Dim(0) != channels)
                throw new ArgumentException($"{name}: {what} must have shape [{channels}] for input {Tensor.Format(x.Shape)}, got {Tensor.Format(t.Shape)}.");
        }
    }
}
