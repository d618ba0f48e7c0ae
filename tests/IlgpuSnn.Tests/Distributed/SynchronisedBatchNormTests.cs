using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Distributed;

/// <summary>
/// The statistics hook of <see cref="Ops.BatchNorm"/> in one process, against an identity: R replicas that hold the
/// same part x (a reducer whose sum over the replicas is R times each value) must normalise exactly as one process
/// does the batch [x; x; …] (R copies), with the global-batch loss the average of the replicas' losses. So each
/// replica's output and running statistics are those of the concatenated batch, its dgamma and dbeta (before the
/// gradient all-reduce, which averages R equal values) are the concatenated batch's, and its dx is R times the
/// concatenated batch's dx on its rows (each replica's loss is its own mean, R times its share of the global one).
/// The reference is the op itself on the concatenated batch, tested against float64 loops in BatchNormTests; sums over
/// R copies in float differ from R times a sum in the last bits, hence the 1e-5 relative tolerance.
/// </summary>
public sealed class SynchronisedBatchNormTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    /// <summary>Stands for <paramref name="replicas"/> replicas with identical data: the sum is R times each value.</summary>
    private sealed class IdenticalReplicas(int replicas) : IBatchStatisticsReducer
    {
        public int Calls { get; private set; }

        public void Sum(Span<double> values)
        {
            Calls++;
            foreach (ref var v in values) v *= replicas;
        }
    }

    private sealed record Outcome(float[] Y, float[] RunningMean, float[] RunningVar, float[] Dx, float[] Dgamma, float[] Dbeta);

    private Outcome Run(float[] x, int[] shape, float[] dy, float[] gamma, float[] beta, IBatchStatisticsReducer? reducer)
    {
        int c = shape[1];
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(D, x, shape).RequireGrad();
        var tg = Tensor.FromArray(D, gamma, c).RequireGrad();
        var tb = Tensor.FromArray(D, beta, c).RequireGrad();
        var rm = Tensor.FromArray(D, Rand.Uniform(c, 31), c);
        var rv = Tensor.FromArray(D, Rand.Uniform(c, 32, 0.5f, 2f), c);
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = Ops.BatchNorm(tx, tg, tb, rm, rv, training: true, momentum: 0.3f, reducer: reducer);
        tape.Backward(y, Tensor.FromArray(D, dy, shape));
        return new Outcome(y.ToArray(), rm.ToArray(), rv.ToArray(), tx.Grad!.ToArray(), tg.Grad!.ToArray(), tb.Grad!.ToArray());
    }

    private static float[] Repeat(float[] values, int times, float scale = 1f) =>
        Enumerable.Range(0, times).SelectMany(_ => values.Select(v => v * scale)).ToArray();

    private static void Same(IEnumerable<float> expected, IEnumerable<float> actual, string what) =>
        Close.Within(expected.Select(v => (double)v), actual, 1e-6, 1e-5, what);

    [Theory]
    [InlineData(new[] { 3, 2, 2, 3 }, 2)]
    [InlineData(new[] { 5, 4 }, 3)]
    [InlineData(new[] { 1, 3 }, 4)] // one value per channel on each replica: only the global batch has a variance
    public void Replicas_with_identical_parts_normalise_as_one_process_does_their_concatenation(int[] shape, int replicas)
    {
        int length = shape.Aggregate(1, (a, b) => a * b), c = shape[1];
        var x = Rand.Uniform(length, 41, -1f, 3f);
        var dy = Rand.Uniform(length, 42);
        var gamma = Rand.Uniform(c, 43, 0.5f, 1.5f);
        var beta = Rand.Uniform(c, 44);
        var reducer = new IdenticalReplicas(replicas);
        var replica = Run(x, shape, dy, gamma, beta, reducer);
        int[] wholeShape = [shape[0] * replicas, .. shape[1..]];
        var whole = Run(Repeat(x, replicas), wholeShape, Repeat(dy, replicas, 1f / replicas), gamma, beta, null);

        Same(whole.Y[..length], replica.Y, "y");
        Same(whole.RunningMean, replica.RunningMean, "runningMean");
        Same(whole.RunningVar, replica.RunningVar, "runningVar");
        Same(whole.Dx[..length].Select(v => v * replicas), replica.Dx, "dx");
        Same(whole.Dgamma, replica.Dgamma, "dgamma");
        Same(whole.Dbeta, replica.Dbeta, "dbeta");
        Assert.Equal(2, reducer.Calls);
    }

    [Fact]
    public void Evaluation_and_a_process_without_a_reducer_communicate_nothing()
    {
        var reducer = new IdenticalReplicas(2);
        using var scope = TensorScope.Begin();
        var norm = new IlgpuSnn.Layers.BatchNorm(D, 3) { StatisticsReducer = reducer };
        var x = Tensor.FromArray(D, Rand.Uniform(12, 45), 4, 3);
        _ = norm.Forward(x, new IlgpuSnn.Layers.Pass { Training = false });
        Assert.Equal(0, reducer.Calls);
        _ = norm.Forward(x, new IlgpuSnn.Layers.Pass { Training = true });
        Assert.Equal(1, reducer.Calls); // nothing recorded: the forward's sums only
        norm.Dispose();
    }

    [Fact]
    public void One_value_per_channel_without_a_reducer_is_still_refused()
    {
        using var scope = TensorScope.Begin();
        var ones = Tensor.Full(D, 1f, 3);
        var zeros = Tensor.Zeros(D, 3);
        var e = Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(D, 1, 3), ones, zeros, Tensor.Zeros(D, 3), Tensor.Full(D, 1f, 3), training: true));
        Assert.Contains("more than one value per channel", e.Message);
    }
}
