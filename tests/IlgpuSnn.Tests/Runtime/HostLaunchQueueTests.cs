using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Runtime;

/// <summary>
/// The CPU accelerator's kernel queue (<see cref="HostLaunchQueue"/>): kernels are recorded and run in one launch when
/// the host next touches device memory, in launch order, with the results of separate launches. On GPUs there is no
/// queue (their streams order the work), so these tests skip there.
/// </summary>
public sealed class HostLaunchQueueTests(TestDevice fixture)
{
    private Device CpuDevice()
    {
        if (fixture.IsGpu) Assert.Skip("the kernel queue is the CPU accelerator's; GPU streams queue kernels themselves");
        return fixture.CreateFresh();
    }

    /// <summary>A chain of dependent kernels: nothing runs until the read, which runs all of them in one hand-off, in order.</summary>
    [Fact]
    public void A_chain_of_kernels_runs_in_order_in_one_hand_off_at_the_read()
    {
        using var device = CpuDevice();
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(device, [1f, -2f, 3f, 0.5f], 4);
        Ops.Add(x, x).ToArray(); // loads the kernels outside the count
        Ops.Scale(x, 2f).ToArray();
        device.Activity.Reset();

        var y = x;
        for (int i = 0; i < 20; i++) y = i % 2 == 0 ? Ops.Add(y, x) : Ops.Scale(y, 0.5f);
        Assert.Equal(0, device.Activity.HostHandOffs);
        Assert.Equal(20, device.Kernels.Queue!.Pending);
        var result = y.ToArray();

        Assert.Equal(1, device.Activity.HostHandOffs);
        Assert.Equal(20, device.Activity.KernelLaunches);
        Assert.Equal(0, device.Kernels.Queue.Pending);
        // By hand: each pair maps y to (y + x) / 2, so y_k = x for every k once y_0 = x.
        float[] expected = [1f, -2f, 3f, 0.5f];
        Assert.Equal(expected, result);
    }

    /// <summary>Recorded and separately launched kernels give the same bits, on an input long enough to split between workers.</summary>
    [Fact]
    public void Recorded_kernels_give_the_bits_of_separate_launches()
    {
        using var device = CpuDevice();
        var input = Enumerable.Range(0, 10_007).Select(i => MathF.Sin(i * 0.37f) * 3f).ToArray();
        float[] Run()
        {
            using var scope = TensorScope.Begin();
            var x = Tensor.FromArray(device, input, input.Length);
            var y = Ops.Add(Ops.Scale(x, 0.3f), Ops.Scale(Ops.Add(x, x), -1.7f));
            return Ops.Add(y, Ops.Scale(y, 2f)).ToArray();
        }

        var recorded = Run();
        device.Kernels.Queue!.Enabled = false;
        long handOffs = device.Activity.HostHandOffs;
        var separate = Run();
        Assert.Equal(6, device.Activity.HostHandOffs - handOffs); // one per kernel: nothing recorded
        Assert.Equal(separate, recorded);
    }

    /// <summary>An upload over a tensor that a recorded kernel still reads waits for that kernel: it sees the old values.</summary>
    [Fact]
    public void An_upload_runs_the_kernels_that_read_what_it_overwrites()
    {
        using var device = CpuDevice();
        using var scope = TensorScope.Begin();
        var a = Tensor.FromArray(device, [1f, 2f, 3f], 3);
        var doubled = Ops.Add(a, a);
        a.CopyFrom([10f, 20f, 30f]);
        float[] old = [2f, 4f, 6f], uploaded = [10f, 20f, 30f];
        Assert.Equal(old, doubled.ToArray());
        Assert.Equal(uploaded, a.ToArray());
    }

    /// <summary>
    /// A freed tensor's block is handed to the next tensor of its size at once; a new tensor filled from the host must
    /// not be overwritten by a recorded kernel that wrote the freed one.
    /// </summary>
    [Fact]
    public void A_reused_block_filled_from_the_host_keeps_its_values()
    {
        using var device = CpuDevice();
        using var scope = TensorScope.Begin();
        var a = Tensor.FromArray(device, [1f, 2f, 3f, 4f], 4);
        var written = Ops.Scale(a, 5f); // recorded: writes its block later
        long reserved = device.Pool.ReservedBytes;
        written.Dispose();
        var fresh = Tensor.FromArray(device, [7f, 8f, 9f, 10f], 4);
        Assert.Equal(reserved, device.Pool.ReservedBytes); // the same block, reused
        float[] expected = [7f, 8f, 9f, 10f];
        Assert.Equal(expected, fresh.ToArray());
    }

    /// <summary>A kernel call that throws stops its batch; the exception reaches the host at the read, and the queue keeps working.</summary>
    [Fact]
    public void A_throwing_call_surfaces_at_the_read_and_the_queue_recovers()
    {
        using var device = CpuDevice();
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(device, [1f, 2f], 2);
        device.Kernels.Queue!.Add(() => throw new InvalidOperationException("recorded call failed"));
        var y = Ops.Scale(x, 3f);
        var thrown = Assert.Throws<InvalidOperationException>(() => y.ToArray());
        Assert.Equal("recorded call failed", thrown.Message);
        Assert.Equal(0, device.Kernels.Queue.Pending);
        float[] expected = [4f, 8f];
        Assert.Equal(expected, Ops.Scale(x, 4f).ToArray());
    }

    /// <summary>The queue runs itself at its capacity, so a loop that never reads does not hold every call.</summary>
    [Fact]
    public void The_queue_runs_itself_when_full()
    {
        using var device = CpuDevice();
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(device, [1f], 1);
        Ops.Add(x, x).ToArray();
        device.Activity.Reset();
        for (int i = 0; i < HostLaunchQueue.Capacity + 3; i++) Ops.Add(x, x).Dispose();
        Assert.Equal(1, device.Activity.HostHandOffs);
        Assert.Equal(3, device.Kernels.Queue!.Pending);
    }

    /// <summary>While kernels are profiled one by one nothing is recorded: each launch is timed on its own.</summary>
    [Fact]
    public void Profiling_launches_each_kernel_on_its_own()
    {
        using var device = CpuDevice();
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(device, [1f, 2f], 2);
        Ops.Add(x, x).ToArray();
        device.Activity.Reset();
        device.Activity.ProfileKernels = true;
        for (int i = 0; i < 3; i++) Ops.Add(x, x).Dispose();
        device.Activity.ProfileKernels = false;
        Assert.Equal(3, device.Activity.HostHandOffs);
        Assert.Equal(0, device.Kernels.Queue!.Pending);
    }
}
