using System.Runtime.InteropServices;
using System.Text;

namespace IlgpuSnn.Tests.Backends;

/// <summary>
/// A real OpenCL C compiler for the generated kernel sources: the system's OpenCL ICD loader (libOpenCL.so.1), the
/// first device that builds a probe kernel (PoCL on the CI machine), with the -cl-std the device reports, chosen as
/// ILGPU does (<see cref="StandardFor"/>). Only compiles; nothing is run, so a runtime that ILGPU refuses to execute on
/// (PoCL 3.1 lacks the generic address space) still checks every kernel's source.
/// The entry points are bound with <see cref="NativeLibrary"/> so that a missing library is a visible skip, not a crash.
/// </summary>
public sealed unsafe class OpenClCompiler : IDisposable
{
    /// <summary>What to install when no OpenCL compiler is present.</summary>
    public const string InstallHint = "install pocl-opencl-icd ocl-icd-libopencl1";

    private const int Success = 0;
    private const ulong DeviceTypeAll = 0xFFFFFFFF;
    private const uint PlatformName = 0x0902;
    private const uint PlatformVersion = 0x0901;
    private const uint DeviceName = 0x102B;
    private const uint DeviceVersion = 0x102F;
    private const uint DeviceOpenClCVersion = 0x103D;
    private const uint ProgramBuildLog = 0x1183;

    private static readonly string[] LibraryNames = ["libOpenCL.so.1", "libOpenCL.so", "OpenCL", "libOpenCL"];

    private readonly nint library;
    private readonly Api api;
    private readonly nint context;
    private readonly nint device;
    private readonly object gate = new();

    private OpenClCompiler(nint library, Api api, nint context, nint device, string description, string standard)
    {
        this.library = library;
        this.api = api;
        this.context = context;
        this.device = device;
        Description = description;
        BuildOptions = $"-cl-std={standard}";
    }

    /// <summary>Platform and device that compile, e.g. "Portable Computing Language / cpu-haswell (OpenCL 3.0 PoCL ...)".</summary>
    public string Description { get; }

    /// <summary>The options the kernels are built with: the OpenCL C standard of <see cref="StandardFor"/>.</summary>
    public string BuildOptions { get; }

    /// <summary>
    /// The -cl-std value for a device, as ILGPU chooses it: CL3.0 on devices reporting OpenCL ≥ 3.0 (which may reject
    /// CL2.0, as PoCL 6 does), CL2.0 on OpenCL 2.x devices, otherwise the OpenCL C version the device reports.
    /// </summary>
    /// <param name="deviceVersion">CL_DEVICE_VERSION, e.g. "OpenCL 3.0 PoCL HSTR: ...".</param>
    /// <param name="cVersion">CL_DEVICE_OPENCL_C_VERSION, e.g. "OpenCL C 1.2 PoCL".</param>
    /// <returns>"CL3.0", "CL2.0", "CL1.2", ...; null when neither string has a version.</returns>
    public static string? StandardFor(string deviceVersion, string cVersion)
    {
        var device = System.Text.RegularExpressions.Regex.Match(deviceVersion, @"^\s*OpenCL\s+(\d+)\.(\d+)");
        if (device.Success)
        {
            int major = int.Parse(device.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (major >= 3) return "CL3.0";
            if (major == 2) return "CL2.0";
        }
        var c = System.Text.RegularExpressions.Regex.Match(cVersion, @"^\s*OpenCL C\s+(\d+)\.(\d+)");
        return c.Success ? $"CL{c.Groups[1].Value}.{c.Groups[2].Value}" : null;
    }

    /// <summary>
    /// Opens the first OpenCL device that builds a probe program with its own -cl-std, or returns null with the reason
    /// (no loader, no platform, no device, or none builds the probe).
    /// </summary>
    public static OpenClCompiler? TryCreate(out string reason)
    {
        nint library = 0;
        foreach (var name in LibraryNames)
            if (NativeLibrary.TryLoad(name, out library)) break;
        if (library == 0)
        {
            reason = $"no OpenCL ICD loader (libOpenCL.so.1) found; {InstallHint}";
            return null;
        }

        Api api;
        try
        {
            api = Api.Bind(library);
        }
        catch (EntryPointNotFoundException e)
        {
            NativeLibrary.Free(library);
            reason = $"the OpenCL loader lacks {e.Message}; {InstallHint}";
            return null;
        }

        var tried = new List<string>();
        foreach (var platform in Platforms(api))
        {
            string platformText = $"{PlatformString(api, platform, PlatformName)} ({PlatformString(api, platform, PlatformVersion).Split(',')[0].Trim()})";
            foreach (var found in Devices(api, platform))
            {
                nint dev = found;
                string text = $"{platformText} / {DeviceString(api, dev, DeviceName)}";
                string? standard = StandardFor(DeviceString(api, dev, DeviceVersion), DeviceString(api, dev, DeviceOpenClCVersion));
                if (standard is null)
                {
                    tried.Add($"{text}: reports no OpenCL version");
                    continue;
                }
                int err;
                nint ctx = api.CreateContext(null, 1, &dev, null, null, &err);
                if (err != Success || ctx == 0)
                {
                    tried.Add($"{text}: clCreateContext error {err}");
                    continue;
                }

                var compiler = new OpenClCompiler(library, api, ctx, dev, text, standard);
                var probe = compiler.Build("__kernel void probe(__global float* x) { __global float* g = x; g[get_global_id(0)] = 1.0f; }");
                if (probe.Success) { reason = ""; return compiler; }
                tried.Add($"{text}: {compiler.BuildOptions} probe failed: {probe.Log.Trim()}");
                api.ReleaseContext(ctx);
            }
        }

        NativeLibrary.Free(library);
        reason = tried.Count == 0
            ? $"libOpenCL is present but reports no platform/device; {InstallHint}"
            : $"no OpenCL device builds the probe kernel ({string.Join("; ", tried)}); {InstallHint}";
        return null;
    }

    /// <summary>Builds <paramref name="source"/> with <see cref="BuildOptions"/>; returns success, the error code and the build log.</summary>
    public (bool Success, int Error, string Log) Build(string source)
    {
        lock (gate)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(source);
            fixed (byte* src = bytes)
            {
                byte* strings = src;
                nuint length = (nuint)bytes.Length;
                int err;
                nint program = api.CreateProgramWithSource(context, 1, &strings, &length, &err);
                if (err != Success || program == 0) return (false, err, $"clCreateProgramWithSource failed with {err}");
                try
                {
                    byte[] options = Encoding.ASCII.GetBytes(BuildOptions + "\0");
                    nint dev = device;
                    fixed (byte* opt = options)
                        err = api.BuildProgram(program, 1, &dev, opt, null, null);
                    return (err == Success, err, BuildLog(program));
                }
                finally
                {
                    api.ReleaseProgram(program);
                }
            }
        }
    }

    public void Dispose()
    {
        api.ReleaseContext(context);
        NativeLibrary.Free(library);
    }

    private string BuildLog(nint program)
    {
        nint dev = device;
        nuint size;
        if (api.GetProgramBuildInfo(program, dev, ProgramBuildLog, 0, null, &size) != Success || size == 0) return "";
        var buffer = new byte[(int)size];
        fixed (byte* b = buffer)
            if (api.GetProgramBuildInfo(program, dev, ProgramBuildLog, size, b, null) != Success) return "";
        return Encoding.UTF8.GetString(buffer).TrimEnd('\0');
    }

    private static List<nint> Platforms(Api api)
    {
        uint count;
        if (api.GetPlatformIDs(0, null, &count) != Success || count == 0) return [];
        var ids = new nint[count];
        fixed (nint* p = ids)
            if (api.GetPlatformIDs(count, p, null) != Success) return [];
        return [.. ids];
    }

    private static List<nint> Devices(Api api, nint platform)
    {
        uint count;
        if (api.GetDeviceIDs(platform, DeviceTypeAll, 0, null, &count) != Success || count == 0) return [];
        var ids = new nint[count];
        fixed (nint* p = ids)
            if (api.GetDeviceIDs(platform, DeviceTypeAll, count, p, null) != Success) return [];
        return [.. ids];
    }

    private static string PlatformString(Api api, nint platform, uint param) =>
        InfoString((size, value, ret) => api.GetPlatformInfo(platform, param, size, value, ret));

    private static string DeviceString(Api api, nint dev, uint param) =>
        InfoString((size, value, ret) => api.GetDeviceInfo(dev, param, size, value, ret));

    private delegate int InfoQuery(nuint size, void* value, nuint* sizeRet);

    private static string InfoString(InfoQuery query)
    {
        nuint size;
        if (query(0, null, &size) != Success || size == 0) return "?";
        var buffer = new byte[(int)size];
        fixed (byte* b = buffer)
            if (query(size, b, null) != Success) return "?";
        return Encoding.UTF8.GetString(buffer).TrimEnd('\0').Trim();
    }

    /// <summary>The OpenCL 1.2 entry points used here (cl_int results, handles as pointers).</summary>
    private sealed class Api
    {
        public delegate* unmanaged<uint, nint*, uint*, int> GetPlatformIDs;
        public delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetPlatformInfo;
        public delegate* unmanaged<nint, ulong, uint, nint*, uint*, int> GetDeviceIDs;
        public delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetDeviceInfo;
        public delegate* unmanaged<nint*, uint, nint*, void*, void*, int*, nint> CreateContext;
        public delegate* unmanaged<nint, int> ReleaseContext;
        public delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint> CreateProgramWithSource;
        public delegate* unmanaged<nint, uint, nint*, byte*, void*, void*, int> BuildProgram;
        public delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int> GetProgramBuildInfo;
        public delegate* unmanaged<nint, int> ReleaseProgram;

        public static Api Bind(nint library)
        {
            nint F(string name) => NativeLibrary.TryGetExport(library, name, out var f)
                ? f
                : throw new EntryPointNotFoundException(name);
            return new Api
            {
                GetPlatformIDs = (delegate* unmanaged<uint, nint*, uint*, int>)F("clGetPlatformIDs"),
                GetPlatformInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)F("clGetPlatformInfo"),
                GetDeviceIDs = (delegate* unmanaged<nint, ulong, uint, nint*, uint*, int>)F("clGetDeviceIDs"),
                GetDeviceInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)F("clGetDeviceInfo"),
                CreateContext = (delegate* unmanaged<nint*, uint, nint*, void*, void*, int*, nint>)F("clCreateContext"),
                ReleaseContext = (delegate* unmanaged<nint, int>)F("clReleaseContext"),
                CreateProgramWithSource = (delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint>)F("clCreateProgramWithSource"),
                BuildProgram = (delegate* unmanaged<nint, uint, nint*, byte*, void*, void*, int>)F("clBuildProgram"),
                GetProgramBuildInfo = (delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int>)F("clGetProgramBuildInfo"),
                ReleaseProgram = (delegate* unmanaged<nint, int>)F("clReleaseProgram"),
            };
        }
    }
}
