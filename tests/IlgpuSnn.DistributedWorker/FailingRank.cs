using System.Globalization;
using IlgpuSnn.Distributed;

namespace IlgpuSnn.DistributedWorker;

/// <summary>
/// The last rank fails after a first collective while the others wait in the next one: "abort" throws (the program's
/// handler calls MPI_Abort), "crash" ends the process with exit code 4 without finalising MPI. It records when it failed.
/// </summary>
internal static class FailingRank
{
    public static void Run(ICommunicator world, string output, string how)
    {
        world.Barrier();
        if (world.Rank == world.Size - 1)
        {
            File.WriteAllText(Path.Combine(output, "failed-at.txt"), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            if (how == "crash") Environment.Exit(4);
            throw new InvalidOperationException("this rank fails on purpose");
        }
        var values = new double[1];
        world.AllReduce(values, ReduceOperation.Sum);
        world.Barrier();
    }
}
