using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Runtime;

public sealed class DeviceTests
{
    [Fact]
    public void Cpu_is_always_listed_and_selectable_by_name()
    {
        var all = Device.ListAvailable();
        Assert.Contains(all, d => d.Kind == "cpu");
        using var cpu = Device.Create("cpu:0");
        Assert.Equal("cpu", cpu.Kind);
    }

    [Fact]
    public void A_cpu_named_explicitly_is_the_listed_cpu_and_a_bad_cpu_name_still_lists_every_device()
    {
        var listed = Device.ListAvailable().First(d => d.Kind == "cpu");
        foreach (var name in new[] { "cpu", " CPU:0 " })
        {
            using var cpu = Device.Create(name);
            Assert.Equal((listed.Id, listed.Name, listed.MemoryBytes, listed.Version), (cpu.Info.Id, cpu.Info.Name, cpu.Info.MemoryBytes, cpu.Info.Version));
            using var t = Tensor.FromArray(cpu, [1f, 2f], 2);
            using var sum = Ops.Add(t, t);
            Assert.Equal([2f, 4f], sum.ToArray());
        }
        var malformed = Assert.Throws<ArgumentException>(() => Device.Create("cpu:x"));
        Assert.Contains("malformed", malformed.Message, StringComparison.Ordinal);
        var absent = Assert.Throws<ArgumentException>(() => Device.Create("cpu:-1"));
        Assert.Contains("Present: ", absent.Message, StringComparison.Ordinal);
        foreach (var d in Device.ListAvailable()) Assert.Contains(d.Id, absent.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_device_lists_what_is_present()
    {
        var e = Assert.Throws<ArgumentException>(() => Device.Create("cpu:7"));
        Assert.Contains("not present", e.Message, StringComparison.Ordinal);
        Assert.Contains("cpu:0", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Device.Create("tpu"));
        Assert.Throws<ArgumentException>(() => Device.Create("cuda:x"));
    }

    [Fact]
    public void Tensors_of_two_devices_are_refused()
    {
        using var a = Device.Create("cpu");
        using var b = Device.Create("cpu");
        using var x = Tensor.Zeros(a, 2);
        using var y = Tensor.Zeros(b, 2);
        var e = Assert.Throws<ArgumentException>(() => Ops.Add(x, y));
        Assert.Contains("different devices", e.Message, StringComparison.Ordinal);
    }
}
