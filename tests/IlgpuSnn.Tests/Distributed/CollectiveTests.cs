using System.Text.Json;

namespace IlgpuSnn.Tests.Distributed;

/// <summary>
/// The MPI communicator between two ranks (mpirun -np 2 of the worker), against closed forms: rank r contributes
/// x_r[i] = (r + 1)(i + 1)/8, so the sum is 3(i + 1)/8 and the average 3(i + 1)/16, exact in float.
/// </summary>
public sealed class CollectiveTests(DistributedRuns runs) : IClassFixture<DistributedRuns>
{
    private static float[] Floats(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetSingle()).ToArray();

    [Fact]
    public void Two_ranks_see_each_other_on_one_machine()
    {
        var ranks = new[] { runs.Read(2, "collectives", 0), runs.Read(2, "collectives", 1) };
        Assert.Equal([0, 1], ranks.Select(r => r.GetProperty("rank").GetInt32()));
        Assert.All(ranks, r => Assert.Equal(2, r.GetProperty("size").GetInt32()));
        Assert.All(ranks, r => Assert.Equal(2, r.GetProperty("local_size").GetInt32()));
        Assert.Equal([0, 1], ranks.Select(r => r.GetProperty("local_rank").GetInt32()).Order());
        Assert.All(ranks, r => Assert.Equal("mpi", r.GetProperty("backend").GetString()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void AllReduce_sums_and_averages_device_tensors_and_host_values(int rank)
    {
        var r = runs.Read(2, "collectives", rank);
        var expectedSum = Enumerable.Range(0, 1000).Select(i => 3f * (i + 1) / 8f).ToArray();
        Assert.Equal(expectedSum, Floats(r, "sum"));
        Assert.Equal(expectedSum.Select(v => v / 2f).ToArray(), Floats(r, "average"));
        Assert.Equal(expectedSum, Floats(r, "host_sum"));
        Assert.Equal([1.0, 2.0, 1.5], r.GetProperty("doubles").EnumerateArray().Select(v => v.GetDouble()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Broadcast_copies_the_root_rank_to_all(int rank)
    {
        var r = runs.Read(2, "collectives", rank);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => 100f + i).ToArray(), Floats(r, "broadcast"));
        Assert.Equal([1, 11, 42], r.GetProperty("bytes").EnumerateArray().Select(v => v.GetInt32()));
    }

    [Fact]
    public void An_MPI_error_becomes_an_exception_naming_the_call()
    {
        var error = runs.Read(2, "collectives", 0).GetProperty("error").GetString()!;
        Assert.StartsWith("CollectiveException: MPI_Bcast failed:", error, StringComparison.Ordinal);
        Assert.Contains("MPI_ERR_ROOT", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_launcher_the_worker_is_one_process_and_collectives_keep_the_data()
    {
        var r = runs.Read(1, "collectives", 0);
        Assert.Equal("single", r.GetProperty("backend").GetString());
        Assert.Equal(1, r.GetProperty("size").GetInt32());
        var own = Enumerable.Range(0, 1000).Select(i => (i + 1) / 8f).ToArray();
        Assert.Equal(own, Floats(r, "sum"));
        Assert.Equal(own, Floats(r, "average"));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (float)i).ToArray(), Floats(r, "broadcast"));
    }
}
