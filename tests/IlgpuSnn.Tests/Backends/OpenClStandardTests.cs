namespace IlgpuSnn.Tests.Backends;

/// <summary>The build check's -cl-std follows what the device reports, as ILGPU's own -cl-std choice does.</summary>
public sealed class OpenClStandardTests(KernelCompilationFixture fixture) : IClassFixture<KernelCompilationFixture>
{
    [Theory]
    // Strings as the drivers report them (CL_DEVICE_VERSION, CL_DEVICE_OPENCL_C_VERSION).
    [InlineData("OpenCL 3.0 PoCL HSTR: pthread-x86_64-pc-linux-gnu-skylake-avx512", "OpenCL C 1.2 PoCL", "CL3.0")]
    [InlineData("OpenCL 3.0 NEO ", "OpenCL C 1.2 ", "CL3.0")]
    [InlineData("OpenCL 2.1 AMD-APP (3614.0)", "OpenCL C 2.0 ", "CL2.0")]
    [InlineData("OpenCL 2.0 ", "OpenCL C 2.0 ", "CL2.0")]
    [InlineData("OpenCL 1.2 CUDA", "OpenCL C 1.2 ", "CL1.2")]
    [InlineData("OpenCL 1.1 Mesa", "OpenCL C 1.1 ", "CL1.1")]
    [InlineData("garbage", "OpenCL C 1.2", "CL1.2")]
    [InlineData("", "", null)]
    public void Standard_follows_the_device_version(string deviceVersion, string cVersion, string? expected) =>
        Assert.Equal(expected, OpenClCompiler.StandardFor(deviceVersion, cVersion));

    [Fact]
    public void The_compiler_in_use_builds_with_a_standard_of_at_least_cl20()
    {
        var (compiler, reason) = fixture.OpenClCompiler;
        if (compiler is null) Assert.Skip($"No OpenCL C compiler: {reason}");
        Assert.Matches(@"^-cl-std=CL[23]\.0$", compiler.BuildOptions);
        TestContext.Current.TestOutputHelper?.WriteLine($"{compiler.Description}: {compiler.BuildOptions}");
    }
}
