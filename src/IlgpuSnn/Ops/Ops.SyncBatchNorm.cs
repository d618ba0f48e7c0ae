using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Turns this replica's batch statistics into those of the global batch, in place. The replica contributes
    /// n (its values per channel), n·mean and n·(variance + mean²) per channel, from its own two-pass float statistics;
    /// after the sum the global mean is Σ n·mean / N and the biased variance Σ n·(variance + mean²) / N − mean², in
    /// double (Σ n_r·(m_r − m)² is what the difference adds to the average variance, so no float cancellation).
    /// Returns N and this replica's weight n/N.
    /// </summary>
    private static (long Count, double Share) SynchronizeStatistics(IBatchStatisticsReducer reducer, Tensor mean, Tensor variance, long count)
    {
        int channels = (int)mean.Length;
        var m = mean.ToArray();
        var v = variance.ToArray();
        var sums = new double[1 + 2 * channels];
        sums[0] = count;
        if (count > 0)
        {
            for (int c = 0; c < channels; c++)
            {
                sums[1 + c] = count * (double)m[c];
                sums[1 + channels + c] = count * ((double)v[c] + (double)m[c] * m[c]);
            }
        }
        reducer.Sum(sums);
        double total = sums[0];
        for (int c = 0; c < channels; c++)
        {
            double globalMean = sums[1 + c] / total;
            m[c] = (float)globalMean;
            v[c] = (float)Math.Max(0, sums[1 + channels + c] / total - globalMean * globalMean);
        }
        mean.CopyFrom(m);
        variance.CopyFrom(v);
        return ((long)total, total > 0 ? count / total : 0);
    }

    /// <summary>
    /// The backward's per-channel sums Σ dy and Σ dy·x̂ of the global batch as this replica's input gradient needs them:
    /// Σ_r w_r·S_r with w_r = n_r/N (each replica's dy is the gradient of its own mean loss, which the gradient
    /// all-reduce weights by the same share), returned as new tensors. The input-gradient kernel divides them by the
    /// replica's own n_r, which makes (1/w_r)·(global sum)/N: the global-batch gradient at the replica's scale.
    /// </summary>
    private static (Tensor SumDy, Tensor SumDyXhat) SynchronizeBackwardSums(IBatchStatisticsReducer reducer, Tensor sumDy, Tensor sumDyXhat, double share)
    {
        int channels = (int)sumDy.Length;
        var a = sumDy.ToArray();
        var b = sumDyXhat.ToArray();
        var sums = new double[2 * channels];
        for (int c = 0; c < channels; c++)
        {
            sums[c] = share * a[c];
            sums[channels + c] = share * b[c];
        }
        reducer.Sum(sums);
        for (int c = 0; c < channels; c++)
        {
            a[c] = (float)sums[c];
            b[c] = (float)sums[channels + c];
        }
        return (Tensor.FromArray(sumDy.Device, a, channels), Tensor.FromArray(sumDy.Device, b, channels));
    }
}
