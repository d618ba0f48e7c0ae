using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Backends;

/// <summary>
/// Cross-vendor proof without a GPU: every kernel the library can load (everything marked [Kernel], enumerated by
/// <see cref="KernelRegistry"/>) compiles to PTX for sm_70 and sm_90, to OpenCL C for a generic and an Intel device,
/// and that OpenCL C builds with a real OpenCL compiler (PoCL in CI). Running on real GPUs is not checked here.
/// </summary>
public sealed partial class KernelCompilationTests(KernelCompilationFixture fixture, TestDevice device)
    : IClassFixture<KernelCompilationFixture>
{
    private static readonly string[] KnownBackends = ["cuda", "opencl"];

    public static TheoryData<string> AllKernels() => KernelNames.All();

    [Theory]
    [MemberData(nameof(AllKernels))]
    public void Compiles_to_ptx_for_sm70_and_sm90(string kernel)
    {
        var method = KernelNames.Find(kernel);
        KernelNames.SkipIfUnsupported(method, "cuda");
        foreach (var target in KernelCompilationFixture.PtxTargets)
        {
            var (ptx, elapsed) = fixture.CompilePtx(method, target);
            Assert.False(string.IsNullOrWhiteSpace(ptx), $"{kernel}: empty PTX for {target}.");
            Assert.Contains(".entry", ptx, StringComparison.Ordinal);
            // An unresolved call (e.g. a math function ILGPU has no intrinsic for) shows up as an extern declaration
            // that ptxas/the driver would reject at load time.
            Assert.False(ptx.Contains(".extern .func", StringComparison.Ordinal),
                $"{kernel}: PTX for {target} declares an unresolved .extern .func:\n{ptx}");
            Log($"{kernel} -> PTX {target}: {ptx.Length} chars in {elapsed.TotalMilliseconds:F0} ms");
        }
    }

    [Theory]
    [MemberData(nameof(AllKernels))]
    public void Compiles_to_opencl_c(string kernel)
    {
        var method = KernelNames.Find(kernel);
        KernelNames.SkipIfUnsupported(method, "opencl");
        foreach (var vendor in KernelCompilationFixture.OpenClVendors)
        {
            var (source, elapsed) = fixture.CompileOpenCl(method, vendor);
            Assert.False(string.IsNullOrWhiteSpace(source), $"{kernel}: empty OpenCL C for {vendor}.");
            Assert.Contains("kernel", source, StringComparison.Ordinal);
            Log($"{kernel} -> OpenCL C ({vendor}): {source.Length} chars in {elapsed.TotalMilliseconds:F0} ms");
        }
    }

    [Theory]
    [MemberData(nameof(AllKernels))]
    public void Opencl_c_builds_with_a_real_opencl_compiler(string kernel)
    {
        var method = KernelNames.Find(kernel);
        KernelNames.SkipIfUnsupported(method, "opencl");
        var (compiler, reason) = fixture.OpenClCompiler;
        if (compiler is null) Assert.Skip($"No OpenCL C compiler: {reason}");

        var sources = KernelCompilationFixture.OpenClVendors
            .Select(v => (Vendor: v, fixture.CompileOpenCl(method, v).Source))
            .DistinctBy(s => Normalize(s.Source));
        foreach (var (vendor, source) in sources)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var (ok, error, log) = compiler.Build(source);
            Assert.True(ok,
                $"{kernel}: the OpenCL C generated for {vendor} does not build on {compiler.Description} " +
                $"({compiler.BuildOptions}, error {error}).\nBuild log:\n{log}\nSource:\n{source}");
            Log($"{kernel} -> OpenCL C ({vendor}) built on {compiler.Description} in {watch.Elapsed.TotalMilliseconds:F0} ms");
        }
    }

    [Fact]
    public void Opencl_compiler_rejects_broken_source_with_a_log()
    {
        var (compiler, reason) = fixture.OpenClCompiler;
        if (compiler is null) Assert.Skip($"No OpenCL C compiler: {reason}");
        var (ok, _, log) = compiler.Build("kernel void broken(global float* x) { x[0] = undeclared_name; }");
        Assert.False(ok, "a source with an undeclared identifier must not build");
        Assert.Contains("undeclared_name", log, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_lists_the_element_wise_kernels_and_valid_backend_exclusions()
    {
        var names = KernelRegistry.All.Select(KernelNames.Name).ToList();
        Assert.Contains("Elementwise.FillKernel", names);
        Assert.Contains("Elementwise.AxpbyKernel", names);
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        foreach (var m in KernelRegistry.All)
        {
            Assert.True(m.IsStatic && m.ReturnType == typeof(void), $"{KernelNames.Name(m)} must be a static void method.");
            var attribute = m.GetCustomAttribute<KernelAttribute>()!;
            foreach (var b in attribute.UnsupportedBackends)
                Assert.True(KnownBackends.Contains(b, StringComparer.OrdinalIgnoreCase),
                    $"{KernelNames.Name(m)}: unknown backend '{b}' in UnsupportedBackends (use {string.Join(" or ", KnownBackends)}).");
            if (attribute.UnsupportedBackends.Length > 0)
                Assert.False(string.IsNullOrWhiteSpace(attribute.Reason), $"{KernelNames.Name(m)}: UnsupportedBackends needs a Reason.");
        }
    }

    [Fact]
    public void Kernel_cache_refuses_a_method_not_marked_as_kernel()
    {
        var e = Assert.Throws<InvalidOperationException>(
            () => device.Device.Kernels.Load<ArrayView<float>, float>(NotMarked));
        Assert.Contains("not marked [Kernel]", e.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(NotMarked), e.Message, StringComparison.Ordinal);
    }

    private static void NotMarked(ArrayView<float> y, float value)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < y.Length; i += stride) y[i] = value;
    }

    /// <summary>The generic and Intel sources usually differ only in label and type numbers; build such twins once.</summary>
    private static string Normalize(string source) => NumberedName().Replace(source, "$1");

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(L_|type_)\d+")]
    private static partial System.Text.RegularExpressions.Regex NumberedName();

    private static void Log(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);
}
