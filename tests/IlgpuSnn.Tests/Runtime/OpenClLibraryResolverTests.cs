using System.Runtime.InteropServices;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Tests.Runtime;

public sealed class OpenClLibraryResolverTests
{
    [Fact]
    public void Candidates_name_the_versioned_icd_loader_for_ilgpus_opencl_import_only()
    {
        Assert.Equal(["libOpenCL.so.1"], OpenClLibraryResolver.Candidates("OpenCL", OSPlatform.Linux));
        Assert.Equal(["libOpenCL.so.1"], OpenClLibraryResolver.Candidates("OpenCL", OSPlatform.FreeBSD));
        Assert.Equal(["/System/Library/Frameworks/OpenCL.framework/OpenCL"], OpenClLibraryResolver.Candidates("OpenCL", OSPlatform.OSX));
        Assert.Empty(OpenClLibraryResolver.Candidates("OpenCL", OSPlatform.Windows));
        Assert.Empty(OpenClLibraryResolver.Candidates("nvcuda", OSPlatform.Linux));
        Assert.Empty(OpenClLibraryResolver.Candidates("opencl", OSPlatform.Linux));
    }

    [Fact]
    public void Resolve_answers_only_for_ilgpus_assembly()
    {
        Assert.Equal(0, OpenClLibraryResolver.Resolve(typeof(OpenClLibraryResolverTests).Assembly, "OpenCL"));
        Assert.Equal(0, OpenClLibraryResolver.Resolve(typeof(ILGPU.Context).Assembly, "nvcuda"));
    }

    [Fact]
    public void Resolve_loads_the_versioned_loader_when_it_is_installed()
    {
        nint direct = 0;
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libOpenCL.so.1", out direct))
            Assert.Skip("libOpenCL.so.1 is not installed (apt-get install ocl-icd-libopencl1)");
        try
        {
            nint handle = OpenClLibraryResolver.Resolve(typeof(ILGPU.Context).Assembly, OpenClLibraryResolver.IlgpuLibraryName);
            Assert.NotEqual(0, handle);
            // dlopen returns the same handle for a library already loaded: the resolver found that very file.
            Assert.Equal(direct, handle);
            NativeLibrary.Free(handle);
        }
        finally
        {
            NativeLibrary.Free(direct);
        }
    }
}
