using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;
using ILGPU.Frontend;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The CPU accelerator's form of the BatchNorm passes of <see cref="BatchNormKernels"/> on x viewed as [N, C, S], each
/// one launch: statistics; the whole training forward (statistics, running update, scale, normalisation); the
/// normalisation with given statistics (scale folded in); Σa and Σa·b; the whole backward (sums and input gradient);
/// the input gradient with given sums. Every worker owns a contiguous range of channels and writes only their
/// elements, and a channel's results depend only on the shape, never on the worker count: runs = same result every run
/// (narrow planes with a block of rows per worker split the rows instead, with the same results: HostBatchNorm.Rows.cs).
/// Every pass walks a group of channels row by row in address order (each of the N rows holds the group's channels
/// contiguously, so the hardware prefetchers see long streams even when a plane is a few hundred bytes), with 256-bit
/// vectors: along each run of S floats for planes of S ≥ 8 (convolutions), across the positions for narrow planes
/// (S &lt; 8, e.g. S = 1 after a linear layer), whose lanes are then channels.
/// Statistics are the corrected two-pass moments of pieces (a run piece of ≤ 2048 floats, or a block of 64 rows of
/// one position) that stay in L1 for their second pass, combined in order (rows, then pieces, then positions) with
/// Chan's pairwise update in double; sums are float vector partials of the same pieces added in double.
/// GPUs and the tests that switch host kernels off run the portable kernels.
/// </summary>
internal static partial class HostBatchNorm
{
    /// <summary>Form codes (see <see cref="Run"/>).</summary>
    internal const int Statistics = 0, Train = 1, Normalize = 2, SumProduct = 3, Backward = 4, BackwardInput = 5;

    /// <summary>
    /// Host addresses of the operands of one pass (0 where a form does not use one). <see cref="Table"/>: the table
    /// [4, C] of a BatchNorm whose normalisation a neuron kernel applies (see <see cref="ChannelNormalization"/>).
    /// </summary>
    internal readonly record struct Operands(long X, long B, long Out, long Xhat, long Mean, long Variance, long Gamma, long Beta, long Scale, long SumA, long SumAB,
        long Table = 0);

    /// <summary>The layout [Batch, Channels, Spatial] and the scalars of one pass.</summary>
    internal readonly record struct Settings(int Channels, int Spatial, long Batch, int Flag, float Eps, float Momentum, float Unbias);

    private const int Lanes = 8;

    /// <summary>Run pieces (wide planes) are at most this many floats, so their second pass reads L1.</summary>
    private const int Piece = 2048;

    /// <summary>Rows per statistics block of a narrow group (at most 128 KiB, read twice from L2).</summary>
    private const int BlockRows = 64;

    /// <summary>Channels of one wide group, positions (channels × S) of one narrow one (2 KiB per row).</summary>
    private const int GroupChannels = 512;

    /// <summary>
    /// Runs one form over all channels (Flag, Eps, Momentum, Unbias as each form says; Scale may be 0 to skip it).
    /// Statistics: Mean, Variance = batch mean and biased variance of X.
    /// Train: the batch statistics of X normalise it, Out = y = Gamma·x̂ + Beta, Xhat = x̂ when Flag is 1, Scale =
    /// Gamma/sqrt(var + Eps); Mean and Variance (the running statistics) become (1 − Momentum)·running +
    /// Momentum·batch (the variance × Unbias).
    /// Normalize: as Train with the given Mean and Variance, which stay unchanged.
    /// SumProduct: SumA = ΣX, SumAB = ΣX·B. Backward: the sums of SumProduct for X = dy, B = x̂, then Out = dx as
    /// BackwardInput with Flag 1. BackwardInput: Out = dx = Scale·(X − SumA/M − B·SumAB/M) with Flag 1 (batch
    /// statistics, M = N·S), Scale·X with Flag 0.
    /// With a Table, Train writes the table's μ, ρ, γ, β instead of normalising (no Out, no x̂), and SumProduct,
    /// Backward and BackwardInput read x for B and recompute x̂ = (x − μ)·ρ from the table, as Train would have written it.
    /// </summary>
    public static void Run(Device device, int form, Operands operands, Settings settings)
    {
        var grid = device.Launch.GridStride(settings.Channels);
        var launch = device.Kernels.Load<int, Operands, Settings, long>(HostKernel);
        if (!SplitsRows(form, operands, settings, grid.GridDim.X, (long)grid.GridDim.X * grid.GroupDim.X) || !HasPartials(form))
        {
            launch(grid, form, operands, settings, 0L);
            return;
        }
        // The block partials of a row split: pinned, and kept until the kernel has run (it may be recorded, not launched).
        var scratch = GC.AllocateUninitializedArray<double>(checked((int)ScratchLength(settings)), pinned: true);
        launch(grid, form, operands, settings, HostMemory.Address(scratch));
        device.Kernels.KeepAlive(scratch);
    }

    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it reads host pointers; GPUs run the portable BatchNorm kernels.")]
    internal static void HostKernel(int form, Operands operands, Settings settings, long scratch)
    {
        long threads = GridStride.Threads;
        if (SplitsRows(form, operands, settings, Grid.DimX, threads))
        {
            int thread = (int)GridStride.Thread;
            if (HasPartials(form))
            {
                RowPartials(form, operands, settings, scratch, thread, (int)threads);
                ILGPU.Group.Barrier();
            }
            Rows(form, operands, settings, scratch, thread, (int)threads);
            return;
        }
        var (start, end) = GridStride.Chunk(settings.Channels);
        if (start < end) Pass(form, operands, settings, (int)start, (int)end);
    }

    /// <summary>The host body (opaque to ILGPU's frontend: it uses hardware vectors) over channels [first, end).</summary>
    [External("ilgpusnn_host_batchnorm")]
    internal static unsafe void Pass(int form, Operands o, Settings s, int first, int end)
    {
        int group = s.Spatial >= Lanes ? GroupChannels : Math.Max(1, GroupChannels / s.Spatial);
        for (int c = first; c < end; c += group) Group(form, o, s, c, Math.Min(end, c + group));
    }

    /// <summary>
    /// Channels [c0, c1): per-channel statistics or sums, then the element-wise pass, both walking the rows in address
    /// order (each row holds the group's (c1 − c0)·S contiguous floats). Wide planes (S ≥ 8) go run by run with the
    /// channel's values broadcast; narrow ones have one lane per position and per-position copies of the values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Group(int form, Operands o, Settings s, int c0, int c1)
    {
        int spatial = s.Spatial, channels = c1 - c0, width = channels * spatial;
        bool wide = spatial >= Lanes;
        long row = (long)s.Channels * spatial, offset = (long)c0 * spatial, batch = s.Batch;
        float* x = (float*)o.X + offset, b = (float*)o.B + offset, y = (float*)o.Out + offset, xhat = (float*)o.Xhat + offset;
        // Per-channel (wide) or per-position (narrow) values of the element-wise pass, and statistics or sums.
        float* p1 = stackalloc float[GroupChannels], p2 = stackalloc float[GroupChannels], p3 = stackalloc float[GroupChannels], p4 = stackalloc float[GroupChannels];
        double* d1 = stackalloc double[GroupChannels], d2 = stackalloc double[GroupChannels];
        if (form == Statistics || form == Train)
        {
            if (wide)
            {
                RunMoments(x, batch, row, channels, spatial, d1, d2);
            }
            else
            {
                PanelMoments(x, batch, row, width, d1, d2, p1, p2, p3);
                ChannelMoments(d1, d2, channels, spatial, batch);
            }
            double count = (double)batch * spatial;
            for (int k = 0; k < channels; k++)
            {
                float m = (float)d1[k], v = (float)(d2[k] / count);
                int c = c0 + k;
                if (form == Statistics)
                {
                    ((float*)o.Mean)[c] = m;
                    ((float*)o.Variance)[c] = v;
                    continue;
                }
                UpdateRunning(o, s, c, m, v);
                float invstd = Prepare(o, s, c, v);
                if (o.Table != 0)
                {
                    WriteTable(o, s, c, m, invstd);
                    continue;
                }
                Expand(p1, p2, p3, p4, k, wide ? 1 : spatial, m, invstd, ((float*)o.Gamma)[c], ((float*)o.Beta)[c]);
            }
            if (form == Statistics || o.Table != 0) return;
        }
        else if (form == Normalize)
        {
            for (int k = 0; k < channels; k++)
            {
                int c = c0 + k;
                Expand(p1, p2, p3, p4, k, wide ? 1 : spatial, ((float*)o.Mean)[c], Prepare(o, s, c, ((float*)o.Variance)[c]), ((float*)o.Gamma)[c], ((float*)o.Beta)[c]);
            }
        }
        if (form == Train || form == Normalize)
        {
            float* xh = s.Flag != 0 ? xhat : null;
            for (long r = 0; r < batch; r++)
            {
                long e = r * row;
                if (!wide)
                {
                    NormalizeRow(x + e, y + e, xh == null ? null : xh + e, width, p1, p2, p3, p4);
                    continue;
                }
                for (int k = 0; k < channels; k++, e += spatial)
                    NormalizeRun(x + e, y + e, xh == null ? null : xh + e, spatial, p1[k], p2[k], p3[k], p4[k]);
            }
            return;
        }

        bool batchStatistics = form == Backward || s.Flag != 0;
        // With a table, B is x and x̂ is recomputed with its μ[c] and ρ[c] (per channel, or per position when narrow).
        float* q1 = null, q2 = null;
        if (o.Table != 0)
        {
            float* tableMean = stackalloc float[GroupChannels], tableInvStd = stackalloc float[GroupChannels];
            q1 = tableMean;
            q2 = tableInvStd;
            float* table = (float*)o.Table;
            int copies = wide ? 1 : spatial;
            for (int j = 0; j < channels * copies; j++)
            {
                int c = c0 + j / copies;
                q1[j] = table[ChannelNormalization.MeanPlane * s.Channels + c];
                q2[j] = table[ChannelNormalization.InvStdPlane * s.Channels + c];
            }
        }
        if (form == SumProduct || form == Backward)
        {
            if (wide)
            {
                RunSums(x, b, batch, row, channels, spatial, d1, d2, q1, q2);
            }
            else
            {
                PanelSums(x, b, batch, row, width, d1, d2, p1, p2, q1, q2);
                ChannelSums(d1, d2, channels, spatial);
            }
            for (int k = 0; k < channels; k++)
            {
                ((float*)o.SumA)[c0 + k] = (float)d1[k];
                ((float*)o.SumAB)[c0 + k] = (float)d2[k];
            }
            if (form == SumProduct) return;
        }
        float invCount = (float)(1.0 / (batch * spatial));
        for (int k = 0; k < channels; k++)
        {
            int c = c0 + k;
            float meanA = batchStatistics ? ((float*)o.SumA)[c] * invCount : 0f, meanAB = batchStatistics ? ((float*)o.SumAB)[c] * invCount : 0f;
            Expand(p1, p2, p3, p4, k, wide ? 1 : spatial, ((float*)o.Scale)[c], meanA, meanAB, 0f);
        }
        float* bs = batchStatistics ? b : null;
        for (long r = 0; r < batch; r++)
        {
            long e = r * row;
            if (!wide)
            {
                BackwardRow(x + e, bs == null ? null : bs + e, y + e, width, p1, p2, p3, q1, q2);
                continue;
            }
            for (int k = 0; k < channels; k++, e += spatial)
                BackwardRun(x + e, bs == null ? null : bs + e, y + e, spatial, p1[k], p2[k], p3[k], q1 == null ? null : q1 + k, q2 == null ? null : q2 + k);
        }
    }

    /// <summary>
    /// Per channel k of a wide group: mean[k] and m2[k] = Σ(x − mean)² over its N runs, each run in pieces of at most
    /// <see cref="Piece"/> floats (corrected two-pass moments) combined in order, rows in address order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RunMoments(float* x, long batch, long row, int channels, int spatial, double* mean, double* m2)
    {
        new Span<double>(mean, channels).Clear();
        new Span<double>(m2, channels).Clear();
        double n = 0;
        for (long r = 0; r < batch; r++)
            for (int p = 0; p < spatial; p += Piece)
            {
                int length = Math.Min(Piece, spatial - p);
                for (int k = 0; k < channels; k++)
                {
                    var (pm, pm2) = PieceMoments(x + r * row + (long)k * spatial + p, length);
                    double nk = n;
                    Combine(ref nk, ref mean[k], ref m2[k], length, pm, pm2);
                }
                n += length;
            }
    }

    /// <summary>
    /// Per channel k of a wide group: sa[k] = Σa and sab[k] = Σa·b over its N runs (piece partials in double); with
    /// <paramref name="mean"/> and <paramref name="invstd"/> (per channel) b is x and (x − mean[k])·invstd[k] is used for it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RunSums(float* a, float* b, long batch, long row, int channels, int spatial, double* sa, double* sab, float* mean, float* invstd)
    {
        new Span<double>(sa, channels).Clear();
        new Span<double>(sab, channels).Clear();
        for (long r = 0; r < batch; r++)
            for (int k = 0; k < channels; k++)
            {
                long e = r * row + (long)k * spatial;
                for (int p = 0; p < spatial; p += Piece)
                {
                    var (pa, pab) = PieceSums(a + e + p, b + e + p, Math.Min(Piece, spatial - p), mean == null ? null : mean + k, invstd == null ? null : invstd + k);
                    sa[k] += pa;
                    sab[k] += pab;
                }
            }
    }

    /// <summary>running = (1 − momentum)·running + momentum·batch (variance × unbias), as the portable kernel does.</summary>
    private static unsafe void UpdateRunning(Operands o, Settings s, int c, float mean, float variance)
    {
        float* runningMean = (float*)o.Mean, runningVar = (float*)o.Variance;
        runningMean[c] = (1f - s.Momentum) * runningMean[c] + s.Momentum * mean;
        runningVar[c] = (1f - s.Momentum) * runningVar[c] + s.Momentum * (variance * s.Unbias);
    }

    /// <summary>invstd = 1/sqrt(variance + eps), and scale[c] = gamma[c]·invstd when a scale is asked for.</summary>
    private static unsafe float Prepare(Operands o, Settings s, int c, float variance)
    {
        float inv = InvStd(s, variance);
        if (o.Scale != 0) ((float*)o.Scale)[c] = ((float*)o.Gamma)[c] * inv;
        return inv;
    }

    /// <summary>Channel c's μ, ρ, γ, β into the table of a normalisation a neuron kernel applies.</summary>
    private static unsafe void WriteTable(Operands o, Settings s, int c, float mean, float invstd)
    {
        float* table = (float*)o.Table;
        table[ChannelNormalization.MeanPlane * s.Channels + c] = mean;
        table[ChannelNormalization.InvStdPlane * s.Channels + c] = invstd;
        table[ChannelNormalization.GammaPlane * s.Channels + c] = ((float*)o.Gamma)[c];
        table[ChannelNormalization.BetaPlane * s.Channels + c] = ((float*)o.Beta)[c];
    }

    /// <summary>Writes channel k's four values to its <paramref name="copies"/> entries of p1..p4 (1 per channel, or S per position).</summary>
    private static unsafe void Expand(float* p1, float* p2, float* p3, float* p4, int k, int copies, float v1, float v2, float v3, float v4)
    {
        for (int j = k * copies; j < (k + 1) * copies; j++)
        {
            p1[j] = v1;
            p2[j] = v2;
            p3[j] = v3;
            p4[j] = v4;
        }
    }

    /// <summary>Chan's update: (n, mean, m2) of a set joined with (nb, meanB, m2B) of another.</summary>
    private static void Combine(ref double n, ref double mean, ref double m2, double nb, double meanB, double m2B)
    {
        double total = n + nb, delta = meanB - mean;
        mean += delta * (nb / total);
        m2 += m2B + delta * delta * (n * nb / total);
        n = total;
    }

    /// <summary>
    /// Mean and Σ(v − mean)² of v[0, length) by the corrected two-pass method: a float mean m, then Σ(v − m) and
    /// Σ(v − m)² in float vector partials (added in double), corrected for m's rounding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (double Mean, double M2) PieceMoments(float* v, int length)
    {
        float m = (float)(PieceSums(v, null, length).A / length);
        var vm = Vector256.Create(m);
        // Two independent partials of each sum (elements 16i..16i+7 and 16i+8..16i+15), so the additions overlap.
        Vector256<float> s1 = default, s2 = default, t1 = default, t2 = default;
        int i = 0;
        for (; i + 2 * Lanes <= length; i += 2 * Lanes)
        {
            var d = Vector256.Load(v + i) - vm;
            var e = Vector256.Load(v + i + Lanes) - vm;
            s1 += d;
            s2 += d * d;
            t1 += e;
            t2 += e * e;
        }
        for (; i + Lanes <= length; i += Lanes)
        {
            var d = Vector256.Load(v + i) - vm;
            s1 += d;
            s2 += d * d;
        }
        double e1 = InDouble(s1 + t1), e2 = InDouble(s2 + t2);
        for (; i < length; i++)
        {
            double d = (double)v[i] - m;
            e1 += d;
            e2 += d * d;
        }
        return (m + e1 / length, Math.Max(0, e2 - e1 * e1 / length));
    }

    /// <summary>
    /// Σa and Σa·b of a piece (b null: Σa only), float vector partials (two per sum) added in double; with
    /// <paramref name="mean"/> and <paramref name="invstd"/> (one value each) b is x and (x − mean)·invstd is used for it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (double A, double AB) PieceSums(float* a, float* b, int length, float* mean = null, float* invstd = null)
    {
        if (mean != null) return RecomputedPieceSums(a, b, length, *mean, *invstd);
        Vector256<float> sa = default, sab = default, ta = default, tab = default;
        int i = 0;
        if (b == null)
        {
            for (; i + 2 * Lanes <= length; i += 2 * Lanes)
            {
                sa += Vector256.Load(a + i);
                ta += Vector256.Load(a + i + Lanes);
            }
            for (; i + Lanes <= length; i += Lanes) sa += Vector256.Load(a + i);
        }
        else
        {
            for (; i + 2 * Lanes <= length; i += 2 * Lanes)
            {
                var va = Vector256.Load(a + i);
                var wa = Vector256.Load(a + i + Lanes);
                sa += va;
                sab += va * Vector256.Load(b + i);
                ta += wa;
                tab += wa * Vector256.Load(b + i + Lanes);
            }
            for (; i + Lanes <= length; i += Lanes)
            {
                var va = Vector256.Load(a + i);
                sa += va;
                sab += va * Vector256.Load(b + i);
            }
        }
        double ea = InDouble(sa + ta), eab = InDouble(sab + tab);
        for (; i < length; i++)
        {
            ea += a[i];
            if (b != null) eab += (double)a[i] * b[i];
        }
        return (ea, eab);
    }

    /// <summary>1/sqrt(variance + eps).</summary>
    private static float InvStd(Settings s, float variance) => 1f / MathF.Sqrt(variance + s.Eps);

    /// <summary>PieceSums' Σa and Σa·x̂ with x̂ = (x − mean)·invstd recomputed from b = x (the same partials and order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (double A, double AB) RecomputedPieceSums(float* a, float* x, int length, float mean, float invstd)
    {
        var vm = Vector256.Create(mean);
        var vi = Vector256.Create(invstd);
        Vector256<float> sa = default, sab = default, ta = default, tab = default;
        int i = 0;
        for (; i + 2 * Lanes <= length; i += 2 * Lanes)
        {
            var va = Vector256.Load(a + i);
            var wa = Vector256.Load(a + i + Lanes);
            sa += va;
            sab += va * ((Vector256.Load(x + i) - vm) * vi);
            ta += wa;
            tab += wa * ((Vector256.Load(x + i + Lanes) - vm) * vi);
        }
        for (; i + Lanes <= length; i += Lanes)
        {
            var va = Vector256.Load(a + i);
            sa += va;
            sab += va * ((Vector256.Load(x + i) - vm) * vi);
        }
        double ea = InDouble(sa + ta), eab = InDouble(sab + tab);
        for (; i < length; i++)
        {
            ea += a[i];
            eab += (double)a[i] * ((x[i] - mean) * invstd);
        }
        return (ea, eab);
    }

    /// <summary>
    /// Per position j of a narrow panel: mean[j] and m2[j] = Σ(x − mean)² over the N rows, from blocks of
    /// <see cref="BlockRows"/> rows (<see cref="BlockMoments"/>) joined in order. t0..t2: scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PanelMoments(float* x, long batch, long row, int width, double* mean, double* m2, float* t0, float* t1, float* t2)
    {
        new Span<double>(mean, width).Clear();
        new Span<double>(m2, width).Clear();
        double* blockMean = stackalloc double[GroupChannels], blockM2 = stackalloc double[GroupChannels];
        for (long r0 = 0; r0 < batch; r0 += BlockRows)
        {
            int rows = (int)Math.Min(BlockRows, batch - r0);
            BlockMoments(x + r0 * row, rows, row, width, blockMean, blockM2, t0, t1, t2);
            JoinBlock(mean, m2, r0, rows, blockMean, blockM2, width);
        }
    }

    /// <summary>
    /// Per position j of one block of rows: mean[j] and m2[j] by corrected two-pass moments in float (the block stays in
    /// L2 for its second pass), in double. t0..t2: scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BlockMoments(float* block, int rows, long row, int width, double* mean, double* m2, float* t0, float* t1, float* t2)
    {
        new Span<float>(t0, width).Clear();
        new Span<float>(t1, width).Clear();
        new Span<float>(t2, width).Clear();
        for (int r = 0; r < rows; r++) AddRow(t0, block + r * row, width);
        Scale(t0, width, 1f / rows);
        for (int r = 0; r < rows; r++) AddDeviations(t1, t2, block + r * row, t0, width);
        for (int j = 0; j < width; j++)
        {
            double e1 = t1[j];
            mean[j] = t0[j] + e1 / rows;
            m2[j] = Math.Max(0, t2[j] - e1 * e1 / rows);
        }
    }

    /// <summary>Chan's update per position: (mean, m2) of the first <paramref name="n"/> rows joined with a block's.</summary>
    private static unsafe void JoinBlock(double* mean, double* m2, double n, int rows, double* blockMean, double* blockM2, int width)
    {
        double total = n + rows;
        for (int j = 0; j < width; j++)
        {
            double delta = blockMean[j] - mean[j];
            mean[j] += delta * (rows / total);
            m2[j] += blockM2[j] + delta * delta * (n * rows / total);
        }
    }

    /// <summary>Per channel k: the moments of its S positions (each over N rows) combined in order; k ≤ k·S, so in place.</summary>
    private static unsafe void ChannelMoments(double* mean, double* m2, int channels, int spatial, long batch)
    {
        for (int k = 0; k < channels; k++)
        {
            double n = 0, km = 0, km2 = 0;
            for (int j = k * spatial; j < (k + 1) * spatial; j++) Combine(ref n, ref km, ref km2, batch, mean[j], m2[j]);
            mean[k] = km;
            m2[k] = km2;
        }
    }

    /// <summary>
    /// Per position j of a narrow panel: sa[j] = Σa and sab[j] = Σa·b over the N rows (float blocks added in double);
    /// with per-position <paramref name="mean"/> and <paramref name="invstd"/> b is x and (x − mean)·invstd is used for it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PanelSums(float* a, float* b, long batch, long row, int width, double* sa, double* sab, float* t0, float* t1,
        float* mean = null, float* invstd = null)
    {
        new Span<double>(sa, width).Clear();
        new Span<double>(sab, width).Clear();
        double* blockA = stackalloc double[GroupChannels], blockAB = stackalloc double[GroupChannels];
        for (long r0 = 0; r0 < batch; r0 += BlockRows)
        {
            int rows = (int)Math.Min(BlockRows, batch - r0);
            BlockSums(a + r0 * row, b + r0 * row, rows, row, width, blockA, blockAB, t0, t1, mean, invstd);
            for (int j = 0; j < width; j++)
            {
                sa[j] += blockA[j];
                sab[j] += blockAB[j];
            }
        }
    }

    /// <summary>Per position j of one block of rows: sa[j] = Σa and sab[j] = Σa·b in float vector sums. t0, t1: scratch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BlockSums(float* a, float* b, int rows, long row, int width, double* sa, double* sab, float* t0, float* t1,
        float* mean = null, float* invstd = null)
    {
        new Span<float>(t0, width).Clear();
        new Span<float>(t1, width).Clear();
        for (int r = 0; r < rows; r++)
        {
            long e = r * row;
            AddRow(t0, a + e, width);
            AddProducts(t1, a + e, b + e, width, mean, invstd);
        }
        for (int j = 0; j < width; j++)
        {
            sa[j] = t0[j];
            sab[j] = t1[j];
        }
    }

    /// <summary>Per channel k: the sums of its S positions in order; in place as <see cref="ChannelMoments"/>.</summary>
    private static unsafe void ChannelSums(double* sa, double* sab, int channels, int spatial)
    {
        for (int k = 0; k < channels; k++)
        {
            double ka = 0, kab = 0;
            for (int j = k * spatial; j < (k + 1) * spatial; j++)
            {
                ka += sa[j];
                kab += sab[j];
            }
            sa[k] = ka;
            sab[k] = kab;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Scale(float* v, int width, float factor)
    {
        var f = Vector256.Create(factor);
        int j = 0;
        for (; j + Lanes <= width; j += Lanes) (Vector256.Load(v + j) * f).Store(v + j);
        for (; j < width; j++) v[j] *= factor;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddRow(float* acc, float* v, int width)
    {
        int j = 0;
        for (; j + Lanes <= width; j += Lanes) (Vector256.Load(acc + j) + Vector256.Load(v + j)).Store(acc + j);
        for (; j < width; j++) acc[j] += v[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddProducts(float* acc, float* a, float* b, int width, float* mean = null, float* invstd = null)
    {
        int j = 0;
        if (mean != null)
        {
            // b is x: the products with x̂ = (x − mean)·invstd.
            for (; j + Lanes <= width; j += Lanes)
                (Vector256.Load(acc + j) + Vector256.Load(a + j) * ((Vector256.Load(b + j) - Vector256.Load(mean + j)) * Vector256.Load(invstd + j))).Store(acc + j);
            for (; j < width; j++) acc[j] += a[j] * ((b[j] - mean[j]) * invstd[j]);
            return;
        }
        for (; j + Lanes <= width; j += Lanes) (Vector256.Load(acc + j) + Vector256.Load(a + j) * Vector256.Load(b + j)).Store(acc + j);
        for (; j < width; j++) acc[j] += a[j] * b[j];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddDeviations(float* s1, float* s2, float* v, float* center, int width)
    {
        int j = 0;
        for (; j + Lanes <= width; j += Lanes)
        {
            var d = Vector256.Load(v + j) - Vector256.Load(center + j);
            (Vector256.Load(s1 + j) + d).Store(s1 + j);
            (Vector256.Load(s2 + j) + d * d).Store(s2 + j);
        }
        for (; j < width; j++)
        {
            float d = v[j] - center[j];
            s1[j] += d;
            s2[j] += d * d;
        }
    }

    /// <summary>One run of a channel: x̂ = (x − mean)·invstd (stored when xhat is not null), y = gamma·x̂ + beta.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void NormalizeRun(float* x, float* y, float* xhat, int length, float mean, float invstd, float gamma, float beta)
    {
        var vm = Vector256.Create(mean);
        var vi = Vector256.Create(invstd);
        var vg = Vector256.Create(gamma);
        var vb = Vector256.Create(beta);
        int i = 0;
        for (; i + Lanes <= length; i += Lanes)
        {
            var h = (Vector256.Load(x + i) - vm) * vi;
            if (xhat != null) h.Store(xhat + i);
            (vg * h + vb).Store(y + i);
        }
        for (; i < length; i++)
        {
            float h = (x[i] - mean) * invstd;
            if (xhat != null) xhat[i] = h;
            y[i] = gamma * h + beta;
        }
    }

    /// <summary>One row of a narrow panel, NormalizeRun's arithmetic with per-position mean, invstd, gamma, beta.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void NormalizeRow(float* x, float* y, float* xhat, int width, float* mean, float* invstd, float* gamma, float* beta)
    {
        int j = 0;
        for (; j + Lanes <= width; j += Lanes)
        {
            var h = (Vector256.Load(x + j) - Vector256.Load(mean + j)) * Vector256.Load(invstd + j);
            if (xhat != null) h.Store(xhat + j);
            (Vector256.Load(gamma + j) * h + Vector256.Load(beta + j)).Store(y + j);
        }
        for (; j < width; j++)
        {
            float h = (x[j] - mean[j]) * invstd[j];
            if (xhat != null) xhat[j] = h;
            y[j] = gamma[j] * h + beta[j];
        }
    }

    /// <summary>
    /// One run: dx = scale·(dy − meanDy − x̂·meanDyXhat), or scale·dy when xhat is null; with <paramref name="mean"/> and
    /// <paramref name="invstd"/> (one value each) xhat is x and x̂ = (x − mean)·invstd.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BackwardRun(float* dy, float* xhat, float* dx, int length, float scale, float meanDy, float meanDyXhat, float* mean = null, float* invstd = null)
    {
        var vs = Vector256.Create(scale);
        int i = 0;
        if (xhat == null)
        {
            for (; i + Lanes <= length; i += Lanes) (vs * Vector256.Load(dy + i)).Store(dx + i);
            for (; i < length; i++) dx[i] = scale * dy[i];
            return;
        }
        var vm = Vector256.Create(meanDy);
        var vmx = Vector256.Create(meanDyXhat);
        if (mean != null)
        {
            float m = *mean, r = *invstd;
            var vxm = Vector256.Create(m);
            var vxr = Vector256.Create(r);
            for (; i + Lanes <= length; i += Lanes) (vs * (Vector256.Load(dy + i) - vm - ((Vector256.Load(xhat + i) - vxm) * vxr) * vmx)).Store(dx + i);
            for (; i < length; i++) dx[i] = scale * (dy[i] - meanDy - ((xhat[i] - m) * r) * meanDyXhat);
            return;
        }
        for (; i + Lanes <= length; i += Lanes) (vs * (Vector256.Load(dy + i) - vm - Vector256.Load(xhat + i) * vmx)).Store(dx + i);
        for (; i < length; i++) dx[i] = scale * (dy[i] - meanDy - xhat[i] * meanDyXhat);
    }

    /// <summary>One row of a narrow panel, BackwardRun's arithmetic with per-position scale, meanDy, meanDyXhat (and mean, invstd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BackwardRow(float* dy, float* xhat, float* dx, int width, float* scale, float* meanDy, float* meanDyXhat,
        float* mean = null, float* invstd = null)
    {
        int j = 0;
        if (xhat == null)
        {
            for (; j + Lanes <= width; j += Lanes) (Vector256.Load(scale + j) * Vector256.Load(dy + j)).Store(dx + j);
            for (; j < width; j++) dx[j] = scale[j] * dy[j];
            return;
        }
        if (mean != null)
        {
            for (; j + Lanes <= width; j += Lanes)
            {
                var h = (Vector256.Load(xhat + j) - Vector256.Load(mean + j)) * Vector256.Load(invstd + j);
                (Vector256.Load(scale + j) * (Vector256.Load(dy + j) - Vector256.Load(meanDy + j) - h * Vector256.Load(meanDyXhat + j))).Store(dx + j);
            }
            for (; j < width; j++) dx[j] = scale[j] * (dy[j] - meanDy[j] - ((xhat[j] - mean[j]) * invstd[j]) * meanDyXhat[j]);
            return;
        }
        for (; j + Lanes <= width; j += Lanes)
            (Vector256.Load(scale + j) * (Vector256.Load(dy + j) - Vector256.Load(meanDy + j) - Vector256.Load(xhat + j) * Vector256.Load(meanDyXhat + j))).Store(dx + j);
        for (; j < width; j++) dx[j] = scale[j] * (dy[j] - meanDy[j] - xhat[j] * meanDyXhat[j]);
    }

    /// <summary>The sum of a vector's lanes in double (lanes widened, then added pairwise).</summary>
    private static double InDouble(Vector256<float> v) => Vector256.Sum(Vector256.WidenLower(v) + Vector256.WidenUpper(v));
}
