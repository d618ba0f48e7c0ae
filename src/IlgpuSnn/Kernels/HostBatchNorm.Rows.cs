using System.Runtime.CompilerServices;
using ILGPU.Frontend;

namespace IlgpuSnn.Kernels;

/// <summary>
/// Narrow planes (S &lt; 8, e.g. [N, C] after a linear layer) with at least one <see cref="BlockRows"/>-row block per
/// worker: the workers split the rows, each reading whole rows in address order, instead of the channels, where each
/// read its part of every row (half of each 1 KiB row for C = 256 on two workers: 6-9 GB per CPU-second against 15-29
/// for wide planes). Statistics and sums come from the same per-block partials as the channel split
/// (<see cref="BlockMoments"/>, <see cref="BlockSums"/>): each worker writes those of its blocks to a scratch array and,
/// after a barrier, every worker joins all blocks in block order, so the results are the channel split's, bit for bit,
/// whatever the worker count. Each worker then writes the per-channel outputs of its share of the channels and the
/// element-wise pass of its rows.
/// </summary>
internal static partial class HostBatchNorm
{
    /// <summary>
    /// Whether a launch of <paramref name="form"/> with <paramref name="threads"/> workers in <paramref name="groups"/>
    /// groups splits rows: one of the six forms above (any other goes by channels), no normalisation table (the fused
    /// BatchNorm + neuron passes go by channels), narrow planes, one group (its barrier joins every worker), more than
    /// one worker, at least one block of rows each.
    /// </summary>
    internal static bool SplitsRows(int form, Operands o, Settings s, long groups, long threads) =>
        form >= Statistics && form <= BackwardInput && o.Table == 0 && s.Spatial < Lanes && groups == 1 && threads > 1 && Blocks(s) >= threads;

    /// <summary>Whether the form sums over the rows before its element-wise pass (or instead of one).</summary>
    internal static bool HasPartials(int form) => form == Statistics || form == Train || form == SumProduct || form == Backward;

    /// <summary>Doubles of the scratch array of a row split: two per position per block.</summary>
    internal static long ScratchLength(Settings s) => 2 * Blocks(s) * s.Channels * s.Spatial;

    private static long Blocks(Settings s) => (s.Batch + BlockRows - 1) / BlockRows;

    /// <summary>
    /// Worker <paramref name="thread"/>'s blocks of rows: per position, the moments (Statistics, Train) or the sums
    /// (SumProduct, Backward) of each block, at 2·b·P (means or Σa) and 2·b·P + P (m2 or Σa·b) of
    /// <paramref name="scratch"/> for block b and P = C·S positions.
    /// </summary>
    [External("ilgpusnn_host_batchnorm_row_partials")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void RowPartials(int form, Operands o, Settings s, long scratch, int thread, int threads)
    {
        int width = s.Channels * s.Spatial;
        bool moments = form == Statistics || form == Train;
        float* t0 = stackalloc float[GroupChannels], t1 = stackalloc float[GroupChannels], t2 = stackalloc float[GroupChannels];
        var (b0, b1) = GridStride.Share((int)Blocks(s), 1, thread, threads);
        for (int b = b0; b < b1; b++)
        {
            long r0 = (long)b * BlockRows;
            int rows = (int)Math.Min(BlockRows, s.Batch - r0);
            double* first = (double*)scratch + 2L * b * width, second = first + width;
            for (int p = 0; p < width; p += GroupChannels)
            {
                int count = Math.Min(GroupChannels, width - p);
                long e = r0 * width + p;
                if (moments) BlockMoments((float*)o.X + e, rows, width, count, first + p, second + p, t0, t1, t2);
                else BlockSums((float*)o.X + e, (float*)o.B + e, rows, width, count, first + p, second + p, t0, t1);
            }
        }
    }

    /// <summary>
    /// After <see cref="RowPartials"/> of every worker (for forms that have them): each group of channels' statistics or
    /// sums joined from all blocks in order, the per-channel outputs of worker <paramref name="thread"/>'s share of the
    /// channels, and the element-wise pass over its rows (those of its blocks).
    /// </summary>
    [External("ilgpusnn_host_batchnorm_rows")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Rows(int form, Operands o, Settings s, long scratch, int thread, int threads)
    {
        int spatial = s.Spatial, width = s.Channels * spatial, group = Math.Max(1, GroupChannels / spatial);
        long blocks = Blocks(s), batch = s.Batch;
        var (b0, b1) = GridStride.Share((int)blocks, 1, thread, threads);
        long r0 = (long)b0 * BlockRows, r1 = Math.Min(batch, (long)b1 * BlockRows);
        var (own0, own1) = GridStride.Share(s.Channels, 1, thread, threads);
        float* p1 = stackalloc float[GroupChannels], p2 = stackalloc float[GroupChannels], p3 = stackalloc float[GroupChannels], p4 = stackalloc float[GroupChannels];
        double* d1 = stackalloc double[GroupChannels], d2 = stackalloc double[GroupChannels];
        float invCount = (float)(1.0 / (batch * spatial));
        for (int c0 = 0; c0 < s.Channels; c0 += group)
        {
            int c1 = Math.Min(s.Channels, c0 + group), channels = c1 - c0, offset = c0 * spatial, positions = channels * spatial;
            if (form == Statistics || form == Train)
            {
                new Span<double>(d1, positions).Clear();
                new Span<double>(d2, positions).Clear();
                for (long b = 0; b < blocks; b++)
                {
                    double* first = (double*)scratch + 2 * b * width + offset;
                    JoinBlock(d1, d2, b * BlockRows, (int)Math.Min(BlockRows, batch - b * BlockRows), first, first + width, positions);
                }
                ChannelMoments(d1, d2, channels, spatial, batch);
                double count = (double)batch * spatial;
                for (int k = 0; k < channels; k++)
                {
                    float m = (float)d1[k], v = (float)(d2[k] / count);
                    int c = c0 + k;
                    bool own = c >= own0 && c < own1;
                    if (form == Statistics)
                    {
                        if (!own) continue;
                        ((float*)o.Mean)[c] = m;
                        ((float*)o.Variance)[c] = v;
                        continue;
                    }
                    if (own) UpdateRunning(o, s, c, m, v);
                    Expand(p1, p2, p3, p4, k, spatial, m, own ? Prepare(o, s, c, v) : InvStd(s, v), ((float*)o.Gamma)[c], ((float*)o.Beta)[c]);
                }
                if (form == Statistics) continue;
            }
            else if (form == Normalize)
            {
                for (int k = 0; k < channels; k++)
                {
                    int c = c0 + k;
                    float v = ((float*)o.Variance)[c];
                    bool own = c >= own0 && c < own1;
                    Expand(p1, p2, p3, p4, k, spatial, ((float*)o.Mean)[c], own ? Prepare(o, s, c, v) : InvStd(s, v), ((float*)o.Gamma)[c], ((float*)o.Beta)[c]);
                }
            }
            if (form == Train || form == Normalize)
            {
                float* xh = s.Flag != 0 ? (float*)o.Xhat : null;
                for (long r = r0; r < r1; r++)
                {
                    long e = r * width + offset;
                    NormalizeRow((float*)o.X + e, (float*)o.Out + e, xh == null ? null : xh + e, positions, p1, p2, p3, p4);
                }
                continue;
            }

            bool batchStatistics = form == Backward || s.Flag != 0;
            if (form == SumProduct || form == Backward)
            {
                new Span<double>(d1, positions).Clear();
                new Span<double>(d2, positions).Clear();
                for (long b = 0; b < blocks; b++)
                {
                    double* first = (double*)scratch + 2 * b * width + offset, second = first + width;
                    for (int j = 0; j < positions; j++)
                    {
                        d1[j] += first[j];
                        d2[j] += second[j];
                    }
                }
                ChannelSums(d1, d2, channels, spatial);
                for (int k = Math.Max(0, own0 - c0); k < Math.Min(channels, own1 - c0); k++)
                {
                    ((float*)o.SumA)[c0 + k] = (float)d1[k];
                    ((float*)o.SumAB)[c0 + k] = (float)d2[k];
                }
                if (form == SumProduct) continue;
            }
            for (int k = 0; k < channels; k++)
            {
                int c = c0 + k;
                // Backward's sums as the channel split reads them back (rounded to float); BackwardInput's are given.
                float sumA = form == Backward ? (float)d1[k] : batchStatistics ? ((float*)o.SumA)[c] : 0f;
                float sumAB = form == Backward ? (float)d2[k] : batchStatistics ? ((float*)o.SumAB)[c] : 0f;
                Expand(p1, p2, p3, p4, k, spatial, ((float*)o.Scale)[c], sumA * invCount, sumAB * invCount, 0f);
            }
            float* bs = batchStatistics ? (float*)o.B : null;
            for (long r = r0; r < r1; r++)
            {
                long e = r * width + offset;
                BackwardRow((float*)o.X + e, bs == null ? null : bs + e, (float*)o.Out + e, positions, p1, p2, p3);
            }
        }
    }
}
