using IlgpuSnn.Kernels;
using IlgpuSnn.Tests.Support;
using static IlgpuSnn.Kernels.HostBatchNorm;

namespace IlgpuSnn.Tests.NormPool;

/// <summary>
/// The CPU's BatchNorm on narrow planes (S &lt; 8) splits the rows among the workers when each gets a block of rows;
/// the results must not depend on the worker count. Every form runs here as 2, 3, 4 and 7 workers would (those that get
/// a block each: each worker's block partials, then, after all of them, each worker's joins and rows, one worker after
/// another) and as one worker walking all channels (the channel split), on the same inputs: every output identical,
/// bit for bit. The values themselves are checked against double-precision loops in <see cref="BatchNormLayoutTests"/>.
/// </summary>
public sealed class BatchNormRowSplitTests
{
    private static readonly int[] WorkerCounts = [2, 3, 4, 7];

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 150, 37, 1 },   // blocks of 64, 64, 22 rows; 37 lanes (tail 5)
        { 520, 600, 1 },  // 9 blocks; 600 positions: two groups of channels, two scratch pieces
        { 460, 200, 3 },  // S = 3: groups of 170 channels (510 positions) across pieces of 512
        { 700, 256, 1 },  // [N, 256] as after a linear layer
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_form_gives_the_channel_splits_results_for_every_worker_count(int batch, int channels, int spatial)
    {
        foreach (int form in new[] { Statistics, Train, Normalize, SumProduct, Backward, BackwardInput })
            foreach (int flag in new[] { 0, 1 })
            {
                var settings = new Settings(channels, spatial, batch, flag, 1e-5f, 0.1f, batch * spatial / (batch * spatial - 1f));
                var expected = Operands.Create(settings);
                expected.Run(o => Pass(form, o, settings, 0, channels));
                var counts = WorkerCounts.Where(threads => SplitsRows(form, default, settings, 1, threads)).ToArray();
                Assert.True(counts.Length >= 2, $"{counts.Length} worker counts split the rows");
                foreach (int threads in counts)
                {
                    var split = Operands.Create(settings);
                    var scratch = GC.AllocateArray<double>((int)ScratchLength(settings), pinned: true);
                    split.Run(o =>
                    {
                        if (HasPartials(form))
                            for (int w = 0; w < threads; w++) RowPartials(form, o, settings, HostMemory.Address(scratch), w, threads);
                        for (int w = 0; w < threads; w++) Rows(form, o, settings, HostMemory.Address(scratch), w, threads);
                    });
                    for (int i = 0; i < expected.Arrays.Length; i++)
                        Assert.True(expected.Arrays[i].AsSpan().SequenceEqual(split.Arrays[i]), $"form {form}, flag {flag}, {threads} workers: operand {i}");
                }
            }
    }

    /// <summary>Pinned arrays for every operand, filled with the same random values on every call.</summary>
    private sealed class Operands
    {
        public required float[][] Arrays { get; init; }

        public static Operands Create(Settings s)
        {
            int elements = (int)s.Batch * s.Channels * s.Spatial;
            float[] Pinned(int length, int seed, float lo, float hi)
            {
                var a = GC.AllocateArray<float>(length, pinned: true);
                Rand.Uniform(length, seed, lo, hi).CopyTo(a, 0);
                return a;
            }
            // x, b (x̂ or dy's partner), out, x̂, mean, variance, gamma, beta, scale, Σa, Σa·b
            return new Operands
            {
                Arrays =
                [
                    Pinned(elements, 1, -2f, 3f), Pinned(elements, 2, -1f, 1f), Pinned(elements, 3, 0f, 1f), Pinned(elements, 4, 0f, 1f),
                    Pinned(s.Channels, 5, -0.5f, 0.5f), Pinned(s.Channels, 6, 0.5f, 2f), Pinned(s.Channels, 7, 0.5f, 1.5f),
                    Pinned(s.Channels, 8, -0.5f, 0.5f), Pinned(s.Channels, 9, 0.5f, 1.5f), Pinned(s.Channels, 10, -50f, 50f),
                    Pinned(s.Channels, 11, -50f, 50f),
                ],
            };
        }

        public void Run(Action<HostBatchNorm.Operands> pass)
        {
            long At(int i) => HostMemory.Address(Arrays[i]);
            pass(new HostBatchNorm.Operands(At(0), At(1), At(2), At(3), At(4), At(5), At(6), At(7), At(8), At(9), At(10)));
        }
    }
}
