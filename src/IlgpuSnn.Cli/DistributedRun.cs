using IlgpuSnn.Distributed;

namespace IlgpuSnn.Cli;

/// <summary>
/// Runs a command as one rank of a data-parallel job (or as the only process): joins MPI when a launcher started the
/// process (or ILGPUSNN_DISTRIBUTED asks), lets only rank 0 print, and ends the whole job with MPI_Abort when a rank
/// fails, so the other ranks do not wait in a collective forever and mpirun exits non-zero.
/// </summary>
internal static class DistributedRun
{
    public static int Run(Func<ICommunicator, int> work)
    {
        ICommunicator world;
        try
        {
            world = Communicator.Create();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or CollectiveException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        using (world)
        {
            if (world.Rank != 0) Console.SetOut(TextWriter.Null);
            if (world.Size == 1) return work(world);
            try
            {
                int result = work(world);
                if (result != 0) world.Abort(result);
                return result;
            }
            catch (Exception e)
            {
                int code = e switch
                {
                    OperationCanceledException => 130,
                    ArgumentException or FileNotFoundException or InvalidDataException or DirectoryNotFoundException or CollectiveException => 2,
                    _ => 1,
                };
                Console.Error.WriteLine($"rank {world.Rank}: {(code == 1 ? e.ToString() : e.Message)}");
                world.Abort(code);
                return code;
            }
        }
    }

    /// <summary>Lines for `snn info`: this rank when a launcher started the process, and which collective libraries are present.</summary>
    public static IEnumerable<string> Describe()
    {
        var launch = LaunchEnvironment.Detect();
        bool mpi = MpiCommunicator.IsAvailable(out var mpiReason);
        bool nccl = NcclCommunicator.IsAvailable(out var ncclReason);
        if (launch.Launched && mpi)
        {
            using var world = Communicator.Create();
            yield return $"Rank {world.Rank} of {world.Size} (local rank {world.LocalRank} of {world.LocalSize}), collectives over {world.Backend}.";
        }
        else
        {
            yield return launch.Launched
                ? $"Started by a launcher (rank {launch.Rank?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}), but MPI cannot be used: {mpiReason}"
                : "Single process (not started by an MPI launcher); data-parallel: mpirun -np N snn train ...";
        }
        yield return mpi ? "MPI: Open MPI present." : $"MPI: {mpiReason}";
        yield return nccl ? "NCCL: present (used on CUDA devices)." : $"NCCL: {ncclReason}";
    }
}
