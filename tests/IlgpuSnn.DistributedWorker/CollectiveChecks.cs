using System.Text.Json;
using IlgpuSnn.Distributed;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.DistributedWorker;

/// <summary>Runs each collective on rank-dependent inputs and writes what every rank got; the test knows the answers.</summary>
internal static class CollectiveChecks
{
    public static void Run(ICommunicator world, string output)
    {
        using var device = Device.Create("cpu");
        int r = world.Rank, n = 1000;
        // Inputs: x_r[i] = (r + 1) * (i + 1) / 8 (exact in float; sums exact).
        var input = Enumerable.Range(0, n).Select(i => (r + 1) * (i + 1) / 8f).ToArray();
        using var sum = Tensor.FromArray(device, input, n);
        world.AllReduce(sum, ReduceOperation.Sum);
        using var average = Tensor.FromArray(device, input, n);
        world.AllReduce(average, ReduceOperation.Average);
        var hostSum = (float[])input.Clone();
        world.AllReduce(hostSum, ReduceOperation.Sum);
        var doubles = new double[] { r, 1, 0.5 * (r + 1) };
        world.AllReduce(doubles, ReduceOperation.Sum);
        int root = world.Size - 1;
        using var broadcast = Tensor.FromArray(device, Enumerable.Range(0, 7).Select(i => 100f * r + i).ToArray(), 7);
        world.Broadcast(broadcast, root);
        var bytes = new byte[] { (byte)r, (byte)(r + 10), 42 };
        world.Broadcast(bytes, root);
        world.Barrier();
        string error = "";
        try
        {
            world.Broadcast(bytes, world.Size);
        }
        catch (Exception e) when (e is CollectiveException or ArgumentOutOfRangeException)
        {
            error = $"{e.GetType().Name}: {e.Message}";
        }
        var result = new Dictionary<string, object>
        {
            ["backend"] = world.Backend,
            ["rank"] = world.Rank,
            ["size"] = world.Size,
            ["local_rank"] = world.LocalRank,
            ["local_size"] = world.LocalSize,
            ["sum"] = sum.ToArray(),
            ["average"] = average.ToArray(),
            ["host_sum"] = hostSum,
            ["doubles"] = doubles,
            ["broadcast"] = broadcast.ToArray(),
            ["bytes"] = bytes.Select(b => (int)b).ToArray(),
            ["error"] = error,
        };
        File.WriteAllText(Path.Combine(output, $"collectives.{r}.json"), JsonSerializer.Serialize(result));
    }
}
