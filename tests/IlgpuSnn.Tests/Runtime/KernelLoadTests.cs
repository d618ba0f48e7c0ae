using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Runtime;

/// <summary>Kernel loads in <see cref="DeviceActivity"/>: each kernel once per device, with its time.</summary>
public sealed class KernelLoadTests(TestDevice fixture)
{
    [Fact]
    public void A_kernel_is_loaded_once_per_device_and_timed()
    {
        using var device = fixture.CreateFresh();
        using var a = Tensor.FromArray(device, [1f, 2f, 3f], 3);
        device.Activity.Reset();
        Ops.Add(a, a).Dispose();
        long first = device.Activity.KernelLoads;
        var time = device.Activity.KernelLoadTime;
        Assert.True(first >= 1, $"{first} loads");
        Assert.True(time > TimeSpan.Zero);

        for (int i = 0; i < 3; i++) Ops.Add(a, a).Dispose();
        Assert.Equal(first, device.Activity.KernelLoads);
        Assert.Equal(time, device.Activity.KernelLoadTime);

        using var other = fixture.CreateFresh();
        using var b = Tensor.FromArray(other, [1f], 1);
        Ops.Add(b, b).Dispose();
        Assert.Equal(first, other.Activity.KernelLoads); // another device compiles its own

        device.Activity.Reset();
        Assert.Equal(0, device.Activity.KernelLoads);
        Assert.Equal(TimeSpan.Zero, device.Activity.KernelLoadTime);
    }
}
