using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using ILGPU.Runtime.OpenCL;

namespace IlgpuSnn.Runtime;

/// <summary>
/// Lets ILGPU find the OpenCL ICD loader where only its versioned file is installed. ILGPU binds OpenCL by the bare
/// name "OpenCL", which .NET probes on Linux as <c>libOpenCL.so</c>, a link only development packages install
/// (Debian: ocl-icd-opencl-dev); the runtime package (ocl-icd-libopencl1) installs <c>libOpenCL.so.1</c>. The resolver
/// runs only after .NET's own probing has failed, only for ILGPU's assembly and that name, so an installed
/// <c>libOpenCL.so</c> (or another resolver) always wins.
/// </summary>
internal static class OpenClLibraryResolver
{
    /// <summary>The library name ILGPU's OpenCL bindings import.</summary>
    internal const string IlgpuLibraryName = "OpenCL";

    private static readonly Assembly Ilgpu = typeof(CLAccelerator).Assembly;
    private static int registered;

    /// <summary>
    /// The files tried, in order, when .NET cannot load <paramref name="libraryName"/> on <paramref name="os"/>:
    /// the ICD loader's versioned soname on Linux and FreeBSD, the system framework on macOS, none elsewhere (Windows'
    /// OpenCL.dll is found by the default probing).
    /// </summary>
    internal static IReadOnlyList<string> Candidates(string libraryName, OSPlatform os)
    {
        if (libraryName != IlgpuLibraryName) return [];
        if (os == OSPlatform.Linux || os == OSPlatform.FreeBSD) return ["libOpenCL.so.1"];
        if (os == OSPlatform.OSX) return ["/System/Library/Frameworks/OpenCL.framework/OpenCL"];
        return [];
    }

    /// <summary>Hooks the resolver into ILGPU's load context; later calls do nothing.</summary>
    internal static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1) return;
        (AssemblyLoadContext.GetLoadContext(Ilgpu) ?? AssemblyLoadContext.Default).ResolvingUnmanagedDll += Resolve;
    }

    /// <summary>The handle of the first candidate that loads, or zero (then .NET reports the library as missing).</summary>
    internal static nint Resolve(Assembly assembly, string libraryName)
    {
        if (assembly != Ilgpu) return 0;
        foreach (var candidate in Candidates(libraryName, CurrentOs()))
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return 0;
    }

    private static OSPlatform CurrentOs() =>
        OperatingSystem.IsLinux() ? OSPlatform.Linux
        : OperatingSystem.IsFreeBSD() ? OSPlatform.FreeBSD
        : OperatingSystem.IsMacOS() ? OSPlatform.OSX
        : OSPlatform.Windows;
}
