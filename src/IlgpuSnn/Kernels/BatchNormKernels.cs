using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Batch-normalisation kernels for tensors viewed as [N, C, S] (S = H·W, or 1 for [N, C]): per-channel statistics
/// over N·S elements (two-pass: mean, then mean squared deviation), normalisation, running-statistics update and
/// the backward. Per-channel sums are split into interleaved partial sums that a second kernel adds up.
/// </summary>
internal static class BatchNormKernels
{
    /// <summary>
    /// Per-channel mean and biased variance of x viewed as [N, <paramref name="channels"/>, <paramref name="spatial"/>].
    /// </summary>
    public static void ChannelStatistics(Device device, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> variance, int channels, int spatial)
    {
        ArgumentNullException.ThrowIfNull(device);
        long perChannel = PerChannel("ChannelStatistics", x.Length, channels, spatial);
        RequireChannels("ChannelStatistics", channels, mean, variance);
        if (channels == 0) return;
        if (perChannel == 0)
        {
            Elementwise.Fill(device, mean, float.NaN);
            Elementwise.Fill(device, variance, float.NaN);
            return;
        }
        if (device.Launch.UseHostKernels)
        {
            HostBatchNorm.Run(device, HostBatchNorm.Statistics, new HostBatchNorm.Operands(HostMemory.Address(x), 0, 0, 0, HostMemory.Address(mean), HostMemory.Address(variance), 0, 0, 0, 0, 0),
                Settings(channels, spatial, x.Length));
            return;
        }
        float inv = 1f / perChannel;
        ChannelSum(device, x, mean, mean, channels, spatial, perChannel, 0, inv);
        ChannelSum(device, x, mean, variance, channels, spatial, perChannel, 1, inv);
    }

    /// <summary>
    /// sumA[c] = Σ a and sumAB[c] = Σ a·b over the N·S elements of channel c of a and b viewed as
    /// [N, <paramref name="channels"/>, <paramref name="spatial"/>]. With a normalisation <paramref name="table"/>
    /// [4, C] (<see cref="ChannelNormalization"/>) b is x and x̂ = (x − μ[c])·ρ[c] stands for it.
    /// </summary>
    public static void ChannelSumProduct(Device device, ArrayView<float> a, ArrayView<float> b, ArrayView<float> sumA, ArrayView<float> sumAB, int channels, int spatial,
        ArrayView<float>? table = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        long perChannel = PerChannel("ChannelSumProduct", a.Length, channels, spatial);
        Elementwise.RequireSameLength("ChannelSumProduct", a, b);
        RequireChannels("ChannelSumProduct", channels, sumA, sumAB);
        RequireTable("ChannelSumProduct", channels, table);
        if (channels == 0) return;
        if (device.Launch.UseHostKernels && perChannel > 0)
        {
            HostBatchNorm.Run(device, HostBatchNorm.SumProduct, new HostBatchNorm.Operands(HostMemory.Address(a), HostMemory.Address(b), 0, 0, 0, 0, 0, 0, 0, HostMemory.Address(sumA), HostMemory.Address(sumAB),
                LifKernels.Address(table)), Settings(channels, spatial, a.Length));
            return;
        }
        int count = Reduce.PartialCount(device, channels, perChannel);
        var load = device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, long, int, ArrayView<float>, int>(ChannelSumProductKernel);
        if (count == 1)
        {
            load(device.Launch.GridStride(channels), a, b, sumA, sumAB, channels, spatial, perChannel, 1, table ?? sumA, table.HasValue ? 1 : 0);
            return;
        }
        using var pa = Tensor.Empty(device, channels * count);
        using var pab = Tensor.Empty(device, channels * count);
        load(device.Launch.GridStride(pa.Length), a, b, pa.View, pab.View, channels, spatial, perChannel, count, table ?? sumA, table.HasValue ? 1 : 0);
        Reduce.SumPartials(device, pa.View, sumA, count, 1f);
        Reduce.SumPartials(device, pab.View, sumAB, count, 1f);
    }

    /// <summary>
    /// The training forward with the batch statistics of x, one pass per channel where the host kernels run: x̂ =
    /// (x − mean[c])·invstd[c] with the batch mean and biased variance, invstd = 1/sqrt(variance + eps), y =
    /// gamma[c]·x̂ + beta[c], scale[c] = gamma[c]·invstd[c]; x̂ is written only when <paramref name="writeNormalized"/>
    /// is true; the running statistics are updated as <see cref="UpdateRunning"/> says (count N·S, more than one).
    /// </summary>
    public static void TrainForward(Device device, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> runningMean,
        ArrayView<float> runningVar, float momentum, float eps, ArrayView<float> y, ArrayView<float> normalized, bool writeNormalized, ArrayView<float> scale,
        int channels, int spatial)
    {
        ArgumentNullException.ThrowIfNull(device);
        long perChannel = PerChannel("BatchNorm", x.Length, channels, spatial);
        RequireElementwise(x, y, normalized, writeNormalized);
        RequireChannels("BatchNorm", channels, gamma, beta);
        RequireChannels("BatchNorm", channels, runningMean, runningVar);
        RequireChannels("BatchNorm", channels, scale, scale);
        if (perChannel <= 1) throw new ArgumentException($"BatchNorm: training needs more than one value per channel, got {perChannel}.");
        if (device.Launch.UseHostKernels)
        {
            HostBatchNorm.Run(device, HostBatchNorm.Train, new HostBatchNorm.Operands(HostMemory.Address(x), 0, HostMemory.Address(y), writeNormalized ? HostMemory.Address(normalized) : 0,
                HostMemory.Address(runningMean), HostMemory.Address(runningVar), HostMemory.Address(gamma), HostMemory.Address(beta), HostMemory.Address(scale), 0, 0),
                Settings(channels, spatial, x.Length, writeNormalized ? 1 : 0, eps, momentum, Unbias(perChannel)));
            return;
        }
        using var mean = Tensor.Empty(device, channels);
        using var variance = Tensor.Empty(device, channels);
        ChannelStatistics(device, x, mean.View, variance.View, channels, spatial);
        UpdateRunning(device, mean.View, variance.View, runningMean, runningVar, momentum, perChannel);
        Normalize(device, x, mean.View, variance.View, gamma, beta, eps, y, normalized, writeNormalized, scale, channels, spatial);
    }

    /// <summary>
    /// The training forward of a BatchNorm whose normalisation a neuron kernel applies (see
    /// <see cref="ChannelNormalization"/>): the batch statistics of x, the running statistics updated as
    /// <see cref="TrainForward"/> does, and instead of y and x̂ the <paramref name="table"/> [4, C] of μ (batch mean),
    /// ρ = 1/sqrt(variance + eps), γ and β, and scale[c] = gamma[c]·ρ[c]. One launch where the host kernels run.
    /// </summary>
    public static void TrainTable(Device device, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> runningMean,
        ArrayView<float> runningVar, float momentum, float eps, ArrayView<float> table, ArrayView<float> scale, int channels, int spatial)
    {
        ArgumentNullException.ThrowIfNull(device);
        long perChannel = PerChannel("BatchNorm", x.Length, channels, spatial);
        RequireChannels("BatchNorm", channels, gamma, beta);
        RequireChannels("BatchNorm", channels, runningMean, runningVar);
        RequireChannels("BatchNorm", channels, scale, scale);
        RequireTable("BatchNorm", channels, table);
        if (perChannel <= 1) throw new ArgumentException($"BatchNorm: training needs more than one value per channel, got {perChannel}.");
        if (device.Launch.UseHostKernels)
        {
            HostBatchNorm.Run(device, HostBatchNorm.Train, new HostBatchNorm.Operands(HostMemory.Address(x), 0, 0, 0,
                HostMemory.Address(runningMean), HostMemory.Address(runningVar), HostMemory.Address(gamma), HostMemory.Address(beta), HostMemory.Address(scale), 0, 0,
                HostMemory.Address(table)), Settings(channels, spatial, x.Length, 0, eps, momentum, Unbias(perChannel)));
            return;
        }
        var mean = table.SubView(ChannelNormalization.MeanPlane * channels, channels);
        var variance = table.SubView(ChannelNormalization.InvStdPlane * channels, channels);
        ChannelStatistics(device, x, mean, variance, channels, spatial);
        PrepareTable(device, mean, variance, gamma, beta, eps, table, scale, (runningMean, runningVar, momentum, perChannel));
    }

    /// <summary>
    /// The <paramref name="table"/> [4, C] of a normalisation with the given statistics (see
    /// <see cref="ChannelNormalization"/>): μ = mean, ρ = 1/sqrt(variance + eps), γ, β; and scale[c] = gamma[c]·ρ[c].
    /// <paramref name="mean"/> and <paramref name="variance"/> may be the table's own μ and ρ planes (ρ is then
    /// overwritten in place). With <paramref name="running"/> (batch statistics over Count values) the same launch
    /// updates the running statistics as <see cref="UpdateRunning"/> does.
    /// </summary>
    public static void PrepareTable(Device device, ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> gamma, ArrayView<float> beta, float eps,
        ArrayView<float> table, ArrayView<float> scale, (ArrayView<float> Mean, ArrayView<float> Variance, float Momentum, long Count)? running = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        int channels = (int)gamma.Length;
        RequireChannels("BatchNorm", channels, mean, variance);
        RequireChannels("BatchNorm", channels, beta, scale);
        RequireTable("BatchNorm", channels, table);
        if (running is { } r) RequireChannels("BatchNorm", channels, r.Mean, r.Variance);
        if (channels == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, ArrayView<float>, ArrayView<float>, float, float, int>(
            PrepareTableKernel)(
            device.Launch.GridStride(channels), mean, variance, gamma, beta, table, scale, eps, running?.Mean ?? scale, running?.Variance ?? scale,
            running?.Momentum ?? 0f, running is { } u ? Unbias(u.Count) : 1f, running.HasValue ? 1 : 0);
    }

    /// <summary>
    /// x̂ = (x − mean[c])·invstd[c] with invstd = 1/sqrt(variance[c] + eps), y = gamma[c]·x̂ + beta[c] and
    /// scale[c] = gamma[c]·invstd[c]; x̂ is written only when <paramref name="writeNormalized"/> is true (otherwise
    /// <paramref name="normalized"/> may be any view).
    /// </summary>
    public static void Normalize(Device device, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> gamma,
        ArrayView<float> beta, float eps, ArrayView<float> y, ArrayView<float> normalized, bool writeNormalized, ArrayView<float> scale, int channels, int spatial)
    {
        ArgumentNullException.ThrowIfNull(device);
        PerChannel("BatchNorm", x.Length, channels, spatial);
        RequireElementwise(x, y, normalized, writeNormalized);
        RequireChannels("BatchNorm", channels, mean, variance);
        RequireChannels("BatchNorm", channels, gamma, beta);
        RequireChannels("BatchNorm", channels, scale, scale);
        if (x.Length == 0) return;
        if (device.Launch.UseHostKernels)
        {
            HostBatchNorm.Run(device, HostBatchNorm.Normalize, new HostBatchNorm.Operands(HostMemory.Address(x), 0, HostMemory.Address(y), writeNormalized ? HostMemory.Address(normalized) : 0,
                HostMemory.Address(mean), HostMemory.Address(variance), HostMemory.Address(gamma), HostMemory.Address(beta), HostMemory.Address(scale), 0, 0),
                Settings(channels, spatial, x.Length, writeNormalized ? 1 : 0, eps));
            return;
        }
        using var invstd = Tensor.Empty(device, channels);
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float>(PrepareScaleKernel)(
            device.Launch.GridStride(channels), variance, gamma, invstd.View, scale, eps);
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(NormalizeKernel)(
            device.Launch.GridStride(x.Length), x, mean, invstd.View, gamma, beta, y, normalized, writeNormalized ? 1 : 0, channels, spatial);
    }

    /// <summary>
    /// running = (1 − momentum)·running + momentum·batch, per channel, with the variance made unbiased
    /// (× count/(count − 1)) for the running variance, as PyTorch does.
    /// </summary>
    public static void UpdateRunning(Device device, ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> runningMean, ArrayView<float> runningVar, float momentum, long count)
    {
        ArgumentNullException.ThrowIfNull(device);
        RequireChannels("BatchNorm", (int)mean.Length, variance, runningMean);
        RequireChannels("BatchNorm", (int)mean.Length, runningVar, runningVar);
        if (mean.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float>(UpdateRunningKernel)(
            device.Launch.GridStride(mean.Length), mean, variance, runningMean, runningVar, momentum, Unbias(count));
    }

    /// <summary>
    /// The input gradient. Batch statistics (<paramref name="batchStatistics"/> true):
    /// dx = scale[c]·(dy − sumDy[c]/M − x̂·sumDyXhat[c]/M) with M = N·S; fixed statistics: dx = scale[c]·dy
    /// (then <paramref name="normalized"/>, <paramref name="sumDy"/> and <paramref name="sumDyXhat"/> are not read).
    /// With a normalisation <paramref name="table"/> [4, C] <paramref name="normalized"/> is x and x̂ = (x − μ[c])·ρ[c].
    /// </summary>
    public static void BackwardInput(Device device, ArrayView<float> dy, ArrayView<float> normalized, ArrayView<float> scale, ArrayView<float> sumDy,
        ArrayView<float> sumDyXhat, ArrayView<float> dx, bool batchStatistics, int channels, int spatial, ArrayView<float>? table = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        long perChannel = PerChannel("BatchNorm backward", dy.Length, channels, spatial);
        Elementwise.RequireSameLength("BatchNorm backward", dy, dx);
        RequireChannels("BatchNorm backward", channels, scale, scale);
        if (batchStatistics)
        {
            Elementwise.RequireSameLength("BatchNorm backward", dy, normalized);
            RequireChannels("BatchNorm backward", channels, sumDy, sumDyXhat);
        }
        RequireTable("BatchNorm backward", channels, table);
        if (dx.Length == 0) return;
        if (device.Launch.UseHostKernels)
        {
            HostBatchNorm.Run(device, HostBatchNorm.BackwardInput, new HostBatchNorm.Operands(HostMemory.Address(dy), batchStatistics ? HostMemory.Address(normalized) : 0, HostMemory.Address(dx), 0,
                0, 0, 0, 0, HostMemory.Address(scale), batchStatistics ? HostMemory.Address(sumDy) : 0, batchStatistics ? HostMemory.Address(sumDyXhat) : 0,
                batchStatistics ? LifKernels.Address(table) : 0), Settings(channels, spatial, dx.Length, batchStatistics ? 1 : 0));
            return;
        }
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, ArrayView<float>, int>(BackwardInputKernel)(
            device.Launch.GridStride(dx.Length), dy, normalized, scale, sumDy, sumDyXhat, dx, batchStatistics ? 1 : 0, channels, spatial, 1f / perChannel,
            table ?? scale, table.HasValue ? 1 : 0);
    }

    /// <summary>
    /// The whole backward with batch statistics, one pass per channel where the host kernels run: sumDy[c] = Σ dy and
    /// sumDyXhat[c] = Σ dy·x̂ over the channel's N·S elements (<see cref="ChannelSumProduct"/>), then
    /// dx = scale[c]·(dy − sumDy[c]/M − x̂·sumDyXhat[c]/M) with M = N·S (<see cref="BackwardInput"/>).
    /// </summary>
    /// <remarks>With a normalisation <paramref name="table"/> [4, C] <paramref name="normalized"/> is x and x̂ = (x − μ[c])·ρ[c].</remarks>
    public static void Backward(Device device, ArrayView<float> dy, ArrayView<float> normalized, ArrayView<float> scale, ArrayView<float> sumDy,
        ArrayView<float> sumDyXhat, ArrayView<float> dx, int channels, int spatial, ArrayView<float>? table = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        PerChannel("BatchNorm backward", dy.Length, channels, spatial);
        Elementwise.RequireSameLength("BatchNorm backward", dy, dx);
        Elementwise.RequireSameLength("BatchNorm backward", dy, normalized);
        RequireChannels("BatchNorm backward", channels, scale, scale);
        RequireChannels("BatchNorm backward", channels, sumDy, sumDyXhat);
        RequireTable("BatchNorm backward", channels, table);
        if (dx.Length == 0) return;
        if (device.Launch.UseHostKernels)
        {
            HostBatchNorm.Run(device, HostBatchNorm.Backward, new HostBatchNorm.Operands(HostMemory.Address(dy), HostMemory.Address(normalized), HostMemory.Address(dx), 0,
                0, 0, 0, 0, HostMemory.Address(scale), HostMemory.Address(sumDy), HostMemory.Address(sumDyXhat), LifKernels.Address(table)), Settings(channels, spatial, dx.Length));
            return;
        }
        ChannelSumProduct(device, dy, normalized, sumDy, sumDyXhat, channels, spatial, table);
        BackwardInput(device, dy, normalized, scale, sumDy, sumDyXhat, dx, true, channels, spatial, table);
    }

    /// <summary>The host kernels' settings for x of <paramref name="length"/> elements viewed as [N, channels, spatial].</summary>
    private static HostBatchNorm.Settings Settings(int channels, int spatial, long length, int flag = 0, float eps = 0f, float momentum = 0f, float unbias = 1f) =>
        new(channels, spatial, length / ((long)channels * spatial), flag, eps, momentum, unbias);

    /// <summary>count/(count − 1): the factor that makes a biased variance over count values unbiased (1 for one value).</summary>
    private static float Unbias(long count) => count > 1 ? (float)((double)count / (count - 1)) : 1f;

    private static void RequireElementwise(ArrayView<float> x, ArrayView<float> y, ArrayView<float> normalized, bool writeNormalized)
    {
        Elementwise.RequireSameLength("BatchNorm", x, y);
        if (writeNormalized) Elementwise.RequireSameLength("BatchNorm", x, normalized);
    }

    private static void ChannelSum(Device device, ArrayView<float> x, ArrayView<float> center, ArrayView<float> result, int channels, int spatial, long perChannel, int squareDeviation, float scale)
    {
        int count = Reduce.PartialCount(device, channels, perChannel);
        var load = device.Kernels.Load<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, long, int, int, float>(ChannelSumKernel);
        if (count == 1)
        {
            load(device.Launch.GridStride(channels), x, center, result, channels, spatial, perChannel, 1, squareDeviation, scale);
            return;
        }
        // The shifted sums of the mean pass are scaled before they are added (their shift must not be scaled twice).
        bool shifted = squareDeviation == 0;
        using var partials = Tensor.Empty(device, channels * count);
        load(device.Launch.GridStride(partials.Length), x, center, partials.View, channels, spatial, perChannel, count, squareDeviation, shifted ? scale : 1f);
        Reduce.SumPartials(device, partials.View, result, count, shifted ? 1f : scale);
    }

    private static long PerChannel(string operation, long length, int channels, int spatial)
    {
        if (channels < 0 || spatial <= 0 || (channels > 0 && length % ((long)channels * spatial) != 0))
            throw new ArgumentException($"{operation}: {length} elements are not [N, {channels}, {spatial}].");
        return channels == 0 ? 0 : length / channels;
    }

    private static void RequireTable(string operation, int channels, ArrayView<float>? table)
    {
        if (table is { } t && t.Length != (long)ChannelNormalization.Planes * channels)
            throw new ArgumentException($"{operation}: the normalisation table has {t.Length} elements for {channels} channels (needs {ChannelNormalization.Planes}·C).");
    }

    /// <summary>x̂ of element e in channel c: normalized[e] itself, or (x − μ[c])·ρ[c] from a normalisation table (<paramref name="recompute"/> 1).</summary>
    private static float Normalized(ArrayView<float> normalized, long e, int c, ArrayView<float> table, int recompute, int channels) =>
        recompute != 0
            ? (normalized[e] - table[ChannelNormalization.MeanPlane * channels + c]) * table[ChannelNormalization.InvStdPlane * channels + c]
            : normalized[e];

    private static void RequireChannels(string operation, int channels, ArrayView<float> a, ArrayView<float> b)
    {
        if (a.Length != channels || b.Length != channels)
            throw new ArgumentException($"{operation}: per-channel operands have {a.Length} and {b.Length} elements for {channels} channels.");
    }

    /// <summary>Element e of channel c at reduced position r (r = n·S + s) of a [N, C, S] tensor.</summary>
    private static long ElementOf(long r, int c, int channels, int spatial)
    {
        long n = r / spatial;
        long s = r - n * spatial;
        return (n * channels + c) * spatial + s;
    }

    /// <summary>
    /// One item per (channel c, partial p): scale · Σ over r = p, p + count, … of (x − center[c])² when squareDeviation
    /// is 1; otherwise scale · Σ (x − x₀) with x₀ the channel's first element, plus x₀ in partial 0, so that the partials
    /// add up to scale · Σ x (the mean when scale is 1/count) while each one sums small numbers: a plain float sum of
    /// values far from zero (BatchNorm inputs around 1000) loses the mean to rounding, and with it x̂.
    /// </summary>
    [Kernel]
    internal static void ChannelSumKernel(ArrayView<float> x, ArrayView<float> center, ArrayView<float> result, int channels, int spatial,
        long perChannel, int count, int squareDeviation, float scale)
    {
        foreach (long t in GridStride.Over(result.Length))
        {
            int c = (int)(t / count);
            int p = (int)(t - (long)c * count);
            float m = squareDeviation != 0 ? center[c] : x[ElementOf(0, c, channels, spatial)];
            float s = 0f;
            for (long r = p; r < perChannel; r += count)
            {
                float d = x[ElementOf(r, c, channels, spatial)] - m;
                s += squareDeviation != 0 ? d * d : d;
            }
            result[t] = squareDeviation != 0 || p != 0 ? s * scale : s * scale + m;
        }
    }

    [Kernel]
    internal static void ChannelSumProductKernel(ArrayView<float> a, ArrayView<float> b, ArrayView<float> sumA, ArrayView<float> sumAB, int channels, int spatial,
        long perChannel, int count, ArrayView<float> table, int recompute)
    {
        foreach (long t in GridStride.Over(sumA.Length))
        {
            int c = (int)(t / count);
            int p = (int)(t - (long)c * count);
            float sa = 0f, sab = 0f;
            for (long r = p; r < perChannel; r += count)
            {
                long e = ElementOf(r, c, channels, spatial);
                float v = a[e];
                sa += v;
                sab += v * Normalized(b, e, c, table, recompute, channels);
            }
            sumA[t] = sa;
            sumAB[t] = sab;
        }
    }

    [Kernel]
    internal static void PrepareTableKernel(ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> table,
        ArrayView<float> scale, float eps, ArrayView<float> runningMean, ArrayView<float> runningVar, float momentum, float unbias, int updateRunning)
    {
        int channels = (int)gamma.Length;
        foreach (long c in GridStride.Over(channels))
        {
            if (updateRunning != 0) UpdateRunningAt(c, mean, variance, runningMean, runningVar, momentum, unbias);
            float inv = 1f / MathF.Sqrt(variance[c] + eps);
            table[ChannelNormalization.MeanPlane * channels + c] = mean[c];
            table[ChannelNormalization.InvStdPlane * channels + c] = inv;
            table[ChannelNormalization.GammaPlane * channels + c] = gamma[c];
            table[ChannelNormalization.BetaPlane * channels + c] = beta[c];
            scale[c] = gamma[c] * inv;
        }
    }

    [Kernel]
    internal static void PrepareScaleKernel(ArrayView<float> variance, ArrayView<float> gamma, ArrayView<float> invstd, ArrayView<float> scale, float eps)
    {
        foreach (long c in GridStride.Over(variance.Length))
        {
            float inv = 1f / MathF.Sqrt(variance[c] + eps);
            invstd[c] = inv;
            scale[c] = gamma[c] * inv;
        }
    }

    [Kernel]
    internal static void NormalizeKernel(ArrayView<float> x, ArrayView<float> mean, ArrayView<float> invstd, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> y, ArrayView<float> normalized, int writeNormalized, int channels, int spatial)
    {
        foreach (long i in GridStride.Over(y.Length))
        {
            int c = (int)((i / spatial) % channels);
            float h = (x[i] - mean[c]) * invstd[c];
            if (writeNormalized != 0) normalized[i] = h;
            y[i] = gamma[c] * h + beta[c];
        }
    }

    [Kernel]
    internal static void UpdateRunningKernel(ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> runningMean, ArrayView<float> runningVar,
        float momentum, float unbias)
    {
        foreach (long c in GridStride.Over(mean.Length)) UpdateRunningAt(c, mean, variance, runningMean, runningVar, momentum, unbias);
    }

    /// <summary>Channel c's running = (1 − momentum)·running + momentum·batch (the variance × unbias).</summary>
    private static void UpdateRunningAt(long c, ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> runningMean, ArrayView<float> runningVar,
        float momentum, float unbias)
    {
        runningMean[c] = (1f - momentum) * runningMean[c] + momentum * mean[c];
        runningVar[c] = (1f - momentum) * runningVar[c] + momentum * (variance[c] * unbias);
    }

    [Kernel]
    internal static void BackwardInputKernel(ArrayView<float> dy, ArrayView<float> normalized, ArrayView<float> scale, ArrayView<float> sumDy,
        ArrayView<float> sumDyXhat, ArrayView<float> dx, int batchStatistics, int channels, int spatial, float invCount, ArrayView<float> table, int recompute)
    {
        foreach (long i in GridStride.Over(dx.Length))
        {
            int c = (int)((i / spatial) % channels);
            float g = dy[i];
            if (batchStatistics != 0) g = g - sumDy[c] * invCount - Normalized(normalized, i, c, table, recompute, channels) * (sumDyXhat[c] * invCount);
            dx[i] = scale[c] * g;
        }
    }
}
