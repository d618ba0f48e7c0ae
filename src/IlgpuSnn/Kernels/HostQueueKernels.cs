using ILGPU.Frontend;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>The one launch of the CPU accelerator's kernel queue (<see cref="HostLaunchQueue"/>).</summary>
internal static class HostQueueKernels
{
    /// <summary>Each worker of the launch runs every recorded kernel call, in order (CPU accelerator only).</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "CPU accelerator only: it runs the host's recorded kernel calls.")]
    internal static void RunKernel(long queue) => Run(queue, (int)GridStride.Threads);

    /// <summary>
    /// Runs the recorded calls of the queue behind <paramref name="queue"/> on this worker. Marked
    /// <see cref="ExternalAttribute"/>: ILGPU's frontend cannot translate delegate calls; the CPU accelerator calls it as
    /// ordinary .NET code.
    /// </summary>
    [External("ilgpusnn_host_launch_queue")]
    internal static void Run(long queue, int threads) => HostLaunchQueue.RunWorker(queue, threads);
}
