using IlgpuSnn.Distributed;
using IlgpuSnn.DistributedWorker;

// Usage: worker collectives OUT | worker train OUT [SINGLE-PROCESS-OUT to resume from] | worker fail OUT abort|crash
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: IlgpuSnn.DistributedWorker collectives|train|fail OUT [abort|crash|RESUME-FROM]");
    return 2;
}
using var world = Communicator.Create();
try
{
    switch (args[0])
    {
        case "collectives":
            CollectiveChecks.Run(world, args[1]);
            break;
        case "train":
            TrainingRuns.Run(world, args[1], args.Length > 2 ? args[2] : null);
            break;
        case "fail":
            FailingRank.Run(world, args[1], args.Length > 2 ? args[2] : "abort");
            break;
        default:
            Console.Error.WriteLine($"unknown mode '{args[0]}'");
            return 2;
    }
    return 0;
}
catch (Exception e) when (world.Size > 1)
{
    Console.Error.WriteLine($"rank {world.Rank}: {e.Message}");
    world.Abort(3);
    return 3;
}
