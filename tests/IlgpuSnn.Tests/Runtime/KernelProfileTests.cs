using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Runtime;

/// <summary>The opt-in kernel profile of <see cref="DeviceActivity"/>: every launch counted under its kernel, only while on.</summary>
public sealed class KernelProfileTests(TestDevice fixture)
{
    [Fact]
    public void Launches_are_timed_per_kernel_only_while_profiling()
    {
        using var device = fixture.CreateFresh();
        using var a = Tensor.Zeros(device, 1000);
        Ops.Add(a, a).Dispose(); // compile outside the profile
        device.Activity.Reset();
        Ops.Add(a, a).Dispose();
        Assert.Empty(device.Activity.KernelProfile());

        device.Activity.ProfileKernels = true;
        long before = device.Activity.KernelLaunches;
        for (int i = 0; i < 3; i++) Ops.Add(a, a).Dispose();
        device.Activity.ProfileKernels = false;
        var profile = device.Activity.KernelProfile();

        Assert.Equal(device.Activity.KernelLaunches - before, profile.Sum(k => k.Launches));
        Assert.All(profile, k => Assert.True(k.Seconds > 0, k.Kernel));
        Assert.Equal(3, profile.Single(k => k.Launches == 3 && k.Kernel.Contains("Elementwise", StringComparison.Ordinal)).Launches);

        device.Activity.Reset();
        Assert.Empty(device.Activity.KernelProfile());
    }
}
