using ILGPU;
using ILGPU.Runtime.OpenCL;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Tests.Runtime;

/// <summary>OpenCL devices ILGPU cannot run on are named with the reason, and the reason matches ILGPU's own filter.</summary>
public sealed class RefusedDeviceTests
{
    [Fact]
    public void Refusal_agrees_with_ilgpus_default_opencl_filter_on_every_visible_device()
    {
        var all = new List<CLDevice>();
        using var everything = Context.Create(b => b.OpenCL(d => { all.Add(d); return true; }));
        if (all.Count == 0) Assert.Skip("no OpenCL device is visible (install pocl-opencl-icd ocl-icd-libopencl1)");
        using var accepted = Context.Create(b => b.OpenCL());
        var acceptedKeys = new HashSet<(string, string)>();
        foreach (var d in accepted.GetCLDevices()) acceptedKeys.Add((d.PlatformName, d.Name));
        foreach (var d in all)
        {
            string? reason = DeviceDescriptions.OpenClRefusal(d);
            Assert.True((reason is null) == acceptedKeys.Contains((d.PlatformName, d.Name)),
                $"{d.Name} ({d.PlatformName}): ILGPU {(acceptedKeys.Contains((d.PlatformName, d.Name)) ? "accepts" : "refuses")} it, our reason is '{reason}'");
            if (reason is not null) Assert.Contains(d.Capabilities.GenericAddressSpace ? "OpenCL C" : "generic address space", reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Device_errors_and_listing_name_the_refused_devices_with_their_reasons()
    {
        var refused = Device.ListRefused();
        if (refused.Count == 0) Assert.Skip("no OpenCL device is refused on this machine (Debian's PoCL 3.1 is, newer PoCL is not)");
        var e = Assert.Throws<ArgumentException>(() => Device.Create("opencl:99"));
        Assert.Contains("Found but refused", e.Message, StringComparison.Ordinal);
        foreach (var r in refused)
        {
            Assert.Equal("opencl", r.Kind);
            Assert.False(string.IsNullOrWhiteSpace(r.Reason));
            Assert.Contains(r.Reason, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Opencl_devices_report_their_version_and_capabilities()
    {
        var opencl = Device.ListAvailable().Where(d => d.Kind == "opencl").ToList();
        if (opencl.Count == 0) Assert.Skip("no OpenCL device ILGPU runs on is present (PoCL >= 4, or a GPU driver)");
        foreach (var d in opencl)
        {
            Assert.StartsWith("OpenCL ", d.Version, StringComparison.Ordinal);
            Assert.Contains("-cl-std=CL", d.Version, StringComparison.Ordinal);
            Assert.Contains("generic address space yes", d.Capabilities);
            Assert.Contains(d.Capabilities, c => c.StartsWith("sub-groups ", StringComparison.Ordinal));
            Assert.Contains(d.Capabilities, c => c.StartsWith("float atomics", StringComparison.Ordinal));
        }
    }
}
