using IlgpuSnn.Distributed;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Distributed;

/// <summary>
/// The NCCL communicator as a job of one on the suite's device (bootstrapped without MPI): runs only where the suite
/// runs on CUDA (ILGPUSNN_DEVICE=cuda) and libnccl.so.2 is present, and skips visibly elsewhere. A sum and an average
/// over one rank leave the values as they are; a root outside the job is refused.
/// </summary>
public sealed class NcclTests(TestDevice fixture)
{
    [Fact]
    public void A_job_of_one_all_reduces_and_broadcasts_device_tensors_in_place()
    {
        if (fixture.Device.Kind != "cuda") Assert.Skip($"NCCL needs a CUDA device; this suite runs on {fixture.Device.Info.Id}");
        if (!NcclCommunicator.IsAvailable(out var reason)) Assert.Skip($"NCCL is absent: {reason}");
        var values = Rand.Uniform(1000, seed: 4);
        using var nccl = new NcclCommunicator(SingleProcessCommunicator.Instance, fixture.Device);
        using var tensor = Tensor.FromArray(fixture.Device, values, 1000);
        nccl.AllReduce(tensor, ReduceOperation.Sum);
        Assert.Equal(values, tensor.ToArray());
        nccl.AllReduce(tensor, ReduceOperation.Average);
        Assert.Equal(values, tensor.ToArray());
        nccl.Broadcast(tensor, 0);
        Assert.Equal(values, tensor.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => nccl.Broadcast(tensor, 1));
        Assert.Equal((1, 0), (nccl.Size, nccl.Rank));
    }
}
