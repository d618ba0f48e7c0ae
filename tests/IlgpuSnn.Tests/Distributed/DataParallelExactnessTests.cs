using System.Text.Json;

namespace IlgpuSnn.Tests.Distributed;

/// <summary>
/// Two ranks at global batch 7 (parts of 3 and 4 samples, and 1 and 2 in the last batch) against one process at batch
/// 7, same seeds, 2 epochs of 4 batches, networks without BatchNorm, for BPTT, OTTT-O and SAF-E (an update every
/// time step) and TT-LBPTT (an update per window, with an auxiliary head): every gradient the optimizer steps with and the
/// final weights agree to float rounding, and both ranks end bitwise identical. The ranks start from different
/// weights, so agreement needs the broadcast from rank 0.
/// Tolerance: a gradient element is a sum over the batch and the time steps of float32 products; two ranks sum their
/// parts separately, weight them by n_r/n and add them, a different order of the same additions, whose difference is
/// bounded by about (log2 B + T + 2)·ε·Σ|terms| with ε = 6e-8, below 1e-6 for these magnitudes (measured: 7e-8).
/// The weights accumulate these differences through 8–24 momentum-SGD steps (lr 0.2, momentum 0.9: a factor of at most
/// 2 per unit of gradient difference), hence 1e-5. A spike flipping at the threshold would exceed both by orders of
/// magnitude; the fixed seeds keep every membrane potential away from it.
/// With synchronised BatchNorm (bptt folded and per step, OTTT-O, SLTT, TT-LBPTT per window, SAF-E; per-channel counts
/// from 3 to 252) the two runs
/// also compute the batch mean μ and variance σ² in a different order (one float two-pass over the batch, against
/// each rank's float statistics combined in double), each within a few ulps; x̂ = (x − μ)/σ then differs by about
/// ε·|μ|/σ, and the backward's dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) subtracts terms larger than its result, so the
/// gradients agree relative to their scale: within 1e-4 of the parameter's largest gradient element (measured: 4e-5),
/// and the weights, through up to 24 updates of such gradients (of scale up to 1.5), within 1e-4 (measured: 1e-5).
/// Without the synchronisation the same networks differ by more than that scale (measured: 8 times it), so a
/// missing or wrong statistic cannot pass.
/// </summary>
public sealed class DataParallelExactnessTests(DistributedRuns runs) : IClassFixture<DistributedRuns>
{
    private const double GradientTolerance = 1e-6;
    private const double WeightTolerance = 1e-5;
    private const double NormalisedGradientTolerance = 1e-4;
    private const double NormalisedWeightTolerance = 1e-4;

    private static float[][][] Gradients(JsonElement e) =>
        e.GetProperty("grads").EnumerateArray().Select(s => s.EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray()).ToArray();

    private static Dictionary<string, float[]> Tensors(JsonElement e) =>
        e.GetProperty("tensors").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetSingle()).ToArray());

    private static double[] Doubles(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>The runs made with one process and with two ranks, compared by both tests below.</summary>
    public static TheoryData<string> ComparedRuns { get; } =
    [
        "bptt-conv", "ottt-o-mlp", "tt-lbptt-mlp", "saf-e-mlp", "bptt-bn-mlp-sync", "bptt-bn-conv-per-step-sync",
        "ottt-o-bn-mlp-sync", "sltt-bn-conv-sync", "tt-lbptt-bn-mlp2-sync", "saf-e-bn-mlp-sync",
    ];

    [Theory]
    [MemberData(nameof(ComparedRuns))]
    public void Two_ranks_at_half_batch_step_with_the_gradients_of_one_process(string run)
    {
        var single = Gradients(runs.Read(1, run, 0));
        var two = Gradients(runs.Read(2, run, 0));
        Assert.Equal(single.Length, two.Length);
        bool normalised = run.Contains("-bn-", StringComparison.Ordinal);
        for (int s = 0; s < single.Length; s++)
            for (int p = 0; p < single[s].Length; p++)
            {
                Assert.Equal(single[s][p].Length, two[s][p].Length);
                double scale = single[s][p].Select(v => (double)Math.Abs(v)).DefaultIfEmpty(0).Max();
                double tolerance = normalised ? Math.Max(GradientTolerance, NormalisedGradientTolerance * scale) : GradientTolerance;
                for (int i = 0; i < single[s][p].Length; i++)
                    Assert.True(Math.Abs(single[s][p][i] - two[s][p][i]) <= tolerance,
                        $"{run}: update {s}, parameter {p}, element {i}: one process {single[s][p][i]:G9}, two ranks {two[s][p][i]:G9}");
            }
    }

    [Theory]
    [MemberData(nameof(ComparedRuns))]
    public void Two_ranks_end_with_the_weights_and_metrics_of_one_process(string run)
    {
        var single = runs.Read(1, run, 0);
        var two = runs.Read(2, run, 0);
        var expected = Tensors(single);
        var actual = Tensors(two);
        double tolerance = run.Contains("-bn-", StringComparison.Ordinal) ? NormalisedWeightTolerance : WeightTolerance;
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, values) in expected)
            for (int i = 0; i < values.Length; i++)
                Assert.True(Math.Abs(values[i] - actual[name][i]) <= tolerance, $"{run}: {name}[{i}]: one process {values[i]:G9}, two ranks {actual[name][i]:G9}");
        foreach (var metric in new[] { "train_loss", "test_loss" })
            Assert.Equal(Doubles(single, metric), Doubles(two, metric), (a, b) => Math.Abs(a - b) <= 1e-5);
        Assert.Equal(Doubles(single, "train_accuracy"), Doubles(two, "train_accuracy"));
        Assert.Equal(Doubles(single, "test_accuracy"), Doubles(two, "test_accuracy"));
    }

    [Fact]
    public void Two_ranks_resume_a_single_process_checkpoint_as_if_never_interrupted()
    {
        var uninterrupted = Tensors(runs.Read(1, "bptt-conv", 0));
        var resumed = runs.Read(2, "bptt-conv-resumed", 0);
        Assert.Equal(4, resumed.GetProperty("grads").GetArrayLength());
        foreach (var (name, values) in uninterrupted)
            for (int i = 0; i < values.Length; i++)
                Assert.True(Math.Abs(values[i] - Tensors(resumed)[name][i]) <= WeightTolerance, $"{name}[{i}]: uninterrupted {values[i]:G9}, resumed on two ranks {Tensors(resumed)[name][i]:G9}");
        Assert.Equal(Doubles(runs.Read(1, "bptt-conv", 0), "train_loss"), Doubles(resumed, "train_loss"), (a, b) => Math.Abs(a - b) <= 1e-5);
        Assert.Equal(Tensors(runs.Read(2, "bptt-conv-resumed", 0)), Tensors(runs.Read(2, "bptt-conv-resumed", 1)));
    }

    [Theory]
    [InlineData("bptt-conv")]
    [InlineData("ottt-o-mlp")]
    [InlineData("tt-lbptt-mlp")]
    [InlineData("saf-e-mlp")]
    [InlineData("bptt-bn-mlp")]
    [InlineData("bptt-bn-mlp-sync")]
    [InlineData("ottt-o-bn-mlp-sync")]
    public void Every_rank_ends_with_identical_parameters_and_buffers(string run)
    {
        var rank0 = Tensors(runs.Read(2, run, 0));
        var rank1 = Tensors(runs.Read(2, run, 1));
        foreach (var (name, values) in rank0) Assert.Equal(values, rank1[name]);
    }

    [Theory]
    [InlineData("bptt-conv")]
    [InlineData("ottt-o-mlp")]
    [InlineData("tt-lbptt-mlp")]
    [InlineData("saf-e-mlp")]
    public void Each_update_all_reduces_every_gradient_once_in_one_bucket(string run)
    {
        var two = runs.Read(2, run, 0);
        var first = Gradients(two)[0];
        long updates = two.GetProperty("grads").GetArrayLength();
        long bytesPerUpdate = first.Sum(g => (long)g.Length) * sizeof(float);
        Assert.Equal(updates, two.GetProperty("all_reduce_calls").GetInt64());
        Assert.Equal(updates * bytesPerUpdate, two.GetProperty("bytes_all_reduced").GetInt64());
    }

    [Fact]
    public void Without_synchronised_BatchNorm_two_ranks_normalise_with_their_own_parts_and_differ_from_one_process()
    {
        var single = Gradients(runs.Read(1, "bptt-bn-mlp", 0));
        var two = Gradients(runs.Read(2, "bptt-bn-mlp", 0));
        double largest = 0;
        for (int s = 0; s < single.Length; s++)
            for (int p = 0; p < single[s].Length; p++)
                for (int i = 0; i < single[s][p].Length; i++) largest = Math.Max(largest, Math.Abs(single[s][p][i] - two[s][p][i]));
        Assert.True(largest > 0.1, $"per-rank BatchNorm statistics should change the gradients; largest difference {largest:G3}");
    }

    /// <summary>
    /// Synchronised BatchNorm communicates once in the forward and once in the backward of every normalisation: 8 updates
    /// of folded BPTT make 16 all-reduces; per-step statistics (bptt per step, OTTT-O, SLTT; T = 3) make 3 times as many.
    /// Evaluation normalises with the running statistics and communicates nothing.
    /// </summary>
    [Theory]
    [InlineData("bptt-bn-mlp-sync", 16)]
    [InlineData("bptt-bn-conv-per-step-sync", 48)]
    [InlineData("ottt-o-bn-mlp-sync", 48)]
    [InlineData("sltt-bn-conv-sync", 48)]
    [InlineData("tt-lbptt-bn-mlp2-sync", 64)] // 2 BatchNorm layers, windows of 2 and 1 steps
    [InlineData("saf-e-bn-mlp-sync", 48)]
    [InlineData("bptt-bn-mlp", 0)]
    public void Synchronised_BatchNorm_all_reduces_once_per_normalisation_in_each_direction(string run, long calls) =>
        Assert.Equal(calls, runs.Read(2, run, 0).GetProperty("bn_all_reduce_calls").GetInt64());

    [Fact]
    public void Only_rank_0_writes_and_the_metrics_record_the_world_size_and_global_batch()
    {
        var json = JsonDocument.Parse(File.ReadAllText(runs.TwoRankFile("bptt-conv", "metrics.json"))).RootElement;
        Assert.Equal(2, json.GetProperty("world_size").GetInt32());
        Assert.Equal(7, json.GetProperty("global_batch_size").GetInt32());
        Assert.Equal("mpi", json.GetProperty("communication").GetString());
        Assert.Equal(["checkpoint.safetensors", "metrics.csv", "metrics.json"], Directory.GetFiles(runs.TwoRankFile("bptt-conv")).Select(Path.GetFileName).Order());
    }
}
