using ILGPU.Backends.OpenCL;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace IlgpuSnn.Runtime;

/// <summary>
/// What `snn info` and device errors say about a device: its API version and capabilities, and for an OpenCL device
/// ILGPU cannot run on, why.
/// </summary>
internal static class DeviceDescriptions
{
    /// <summary>
    /// Why ILGPU cannot run on <paramref name="device"/>, or null when it can. The same test as ILGPU's default
    /// OpenCL device filter: a -cl-std version of at least OpenCL C 2.0 and the generic address space.
    /// </summary>
    internal static string? OpenClRefusal(CLDevice device)
    {
        var reasons = new List<string>();
        if (device.CLStdVersion < CLBackend.MinimumVersion)
            reasons.Add($"it compiles OpenCL C {device.CLStdVersion} at most, ILGPU needs {CLBackend.MinimumVersion}");
        if (!device.Capabilities.GenericAddressSpace)
            reasons.Add("it reports no generic address space (CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT), which ILGPU's OpenCL kernels need");
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    /// <summary>The device's name with its platform's name and version (which names the driver's release).</summary>
    internal static string OpenClName(CLDevice device) => $"{device.Name} ({device.PlatformName}, {PlatformVersion(device)})";

    /// <summary>The <see cref="DeviceInfo"/> of an ILGPU device: name, memory, API version and capabilities.</summary>
    internal static DeviceInfo Describe(string kind, int index, ILGPU.Runtime.Device device)
    {
        var capabilities = new List<string>();
        string version = "";
        switch (device)
        {
            case CLDevice cl:
                version = $"{OpenClVersion(cl)}, builds with -cl-std={cl.CLStdVersion}";
                capabilities.Add(Flag("generic address space", cl.Capabilities.GenericAddressSpace));
                capabilities.Add(Flag("sub-groups", cl.Capabilities.SubGroups));
                capabilities.Add(Flag("64-bit atomics", cl.Capabilities.Int64_Atomics));
                capabilities.Add(Flag("float atomics (cl_ext_float_atomics)", cl.HasExtension("cl_ext_float_atomics")));
                capabilities.Add(Flag("fp64", cl.Capabilities.Float64));
                capabilities.Add(Flag("fp16", cl.Capabilities.Float16));
                break;
            case CudaDevice cuda:
                version = $"{cuda.Architecture}, PTX ISA {cuda.InstructionSet}, driver {cuda.DriverVersion}";
                break;
        }
        capabilities.Add($"threads per group {device.MaxNumThreadsPerGroup}");
        capabilities.Add($"multiprocessors {device.NumMultiprocessors}");
        if (device.WarpSize > 0) capabilities.Add($"warp {device.WarpSize}");
        return new DeviceInfo(kind, index, device.Name, device.MemorySize) { Version = version, Capabilities = capabilities };
    }

    private static string Flag(string name, bool present) => $"{name} {(present ? "yes" : "no")}";

    private static string OpenClVersion(CLDevice device) =>
        Query(() => CLAPI.CurrentAPI.GetDeviceInfo(device.DeviceId, CLDeviceInfoType.CL_DEVICE_VERSION), $"OpenCL {device.DeviceVersion}");

    private static string PlatformVersion(CLDevice device) =>
        Query(() => CLAPI.CurrentAPI.GetPlatformInfo(device.PlatformId, CLPlatformInfoType.CL_PLATFORM_VERSION), $"OpenCL {device.PlatformVersion}");

    /// <summary>The driver's string, or <paramref name="fallback"/> (ILGPU's parsed version) when the query fails.</summary>
    private static string Query(Func<string> query, string fallback)
    {
        try
        {
            return query().Trim();
        }
        catch (CLException)
        {
            return fallback;
        }
    }
}
