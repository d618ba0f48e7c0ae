using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Tests.Backends;

/// <summary>A PTX target: the GPU architecture and the PTX ISA version written into the header.</summary>
public sealed record PtxTarget(CudaArchitecture Architecture, CudaInstructionSet InstructionSet)
{
    public override string ToString() => $"{Architecture}/{InstructionSet}";
}

/// <summary>
/// Offline code generation without any device: one ILGPU <see cref="Context"/> (O2 + Algorithms, as the library's
/// devices use), PTX backends for the oldest and newest GPU generations we target, OpenCL C backends for a generic
/// and an Intel device, and (when present) a real OpenCL C compiler. Shared by all compile test cases.
/// </summary>
public sealed class KernelCompilationFixture : IDisposable
{
    /// <summary>
    /// Volta (sm_70) with the oldest PTX ISA that knows it (6.0, CUDA 9.0), and Hopper (sm_90) with the newest ISA
    /// ILGPU 1.5.3 knows (8.8, what a CUDA 12.9/13 driver selects).
    /// </summary>
    public static readonly IReadOnlyList<PtxTarget> PtxTargets =
    [
        new(CudaArchitecture.SM_70, CudaInstructionSet.ISA_60),
        new(CudaArchitecture.SM_90, CudaInstructionSet.ISA_88),
    ];

    /// <summary>The OpenCL vendors whose code paths ILGPU distinguishes and we claim to support.</summary>
    public static readonly IReadOnlyList<CLDeviceVendor> OpenClVendors = [CLDeviceVendor.Other, CLDeviceVendor.Intel];

    private readonly Context context;
    private readonly Dictionary<PtxTarget, PTXBackend> ptx = [];
    private readonly Dictionary<CLDeviceVendor, CLBackend> openCl = [];
    private readonly ConcurrentDictionary<(string Kernel, CLDeviceVendor Vendor), string> openClSources = new();
    private readonly Lazy<(OpenClCompiler? Compiler, string Reason)> compiler = new(() =>
    {
        var c = Backends.OpenClCompiler.TryCreate(out var reason);
        return (c, reason);
    });
    private readonly object gate = new();

    public KernelCompilationFixture()
    {
        context = Context.Create(b => b.Optimize(OptimizationLevel.O2).EnableAlgorithms());
        foreach (var t in PtxTargets)
            ptx[t] = new PTXBackend(context, t.Architecture, t.InstructionSet, nvvmAPI: null!);
        var capabilities = new CLCapabilityContext(
            float16: false, float64: true, genericAddressSpace: true, int64_Atomics: true, subGroups: false);
        foreach (var v in OpenClVendors)
            openCl[v] = new CLBackend(context, capabilities, v, CLCVersion.CL20);
    }

    /// <summary>The real OpenCL C compiler, or null with the reason it is missing.</summary>
    public (OpenClCompiler? Compiler, string Reason) OpenClCompiler => compiler.Value;

    /// <summary>Compiles <paramref name="kernel"/> to PTX; returns the assembly and the compile time.</summary>
    public (string Ptx, TimeSpan Elapsed) CompilePtx(MethodInfo kernel, PtxTarget target)
    {
        lock (gate)
        {
            var watch = Stopwatch.StartNew();
            var compiled = (PTXCompiledKernel)ptx[target].Compile(
                EntryPointDescription.FromExplicitlyGroupedKernel(kernel), KernelSpecialization.Empty);
            var elapsed = watch.Elapsed;
            Dump($"{KernelNames.Name(kernel)}.{target.Architecture}.ptx", compiled.PTXAssembly);
            return (compiled.PTXAssembly, elapsed);
        }
    }

    /// <summary>Compiles <paramref name="kernel"/> to OpenCL C (cached for the build check); returns the source and the compile time.</summary>
    public (string Source, TimeSpan Elapsed) CompileOpenCl(MethodInfo kernel, CLDeviceVendor vendor)
    {
        var key = (KernelNames.Name(kernel), vendor);
        if (openClSources.TryGetValue(key, out var cached)) return (cached, TimeSpan.Zero);
        lock (gate)
        {
            var watch = Stopwatch.StartNew();
            var compiled = (CLCompiledKernel)openCl[vendor].Compile(
                EntryPointDescription.FromExplicitlyGroupedKernel(kernel), KernelSpecialization.Empty);
            var elapsed = watch.Elapsed;
            openClSources[key] = compiled.Source;
            Dump($"{KernelNames.Name(kernel)}.{vendor}.cl", compiled.Source);
            return (compiled.Source, elapsed);
        }
    }

    /// <summary>Set to a folder to keep every generated PTX / OpenCL C file there (for inspection or CI artifacts).</summary>
    public const string DumpVariable = "ILGPUSNN_DUMP_KERNELS";

    private static void Dump(string file, string text)
    {
        if (Environment.GetEnvironmentVariable(DumpVariable) is not { Length: > 0 } folder) return;
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, string.Concat(file.Split(Path.GetInvalidFileNameChars()))), text);
    }

    public void Dispose()
    {
        if (compiler.IsValueCreated) compiler.Value.Compiler?.Dispose();
        foreach (var b in ptx.Values) b.Dispose();
        foreach (var b in openCl.Values) b.Dispose();
        context.Dispose();
    }
}

/// <summary>Stable, unique, readable names for the registry's kernels (the theory case names).</summary>
public static class KernelNames
{
    /// <summary>
    /// "Type.Method", with the type arguments of a closed generic kernel ("Type.Method&lt;LifNeuron, SigmoidSurrogate&gt;")
    /// and the parameter types appended when a non-generic method name is overloaded.
    /// </summary>
    public static string Name(MethodInfo kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        string name = $"{kernel.DeclaringType!.Name}.{kernel.Name}";
        if (kernel.IsGenericMethod) name += $"<{string.Join(", ", kernel.GetGenericArguments().Select(a => a.Name))}>";
        bool overloaded = KernelRegistry.All.Count(m => m.DeclaringType == kernel.DeclaringType && m.Name == kernel.Name
            && !m.IsGenericMethod) > 1;
        return overloaded
            ? $"{name}({string.Join(", ", kernel.GetParameters().Select(p => p.ParameterType.Name))})"
            : name;
    }

    /// <summary>Every registered kernel's name, one theory case each.</summary>
    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var m in KernelRegistry.All) data.Add(Name(m));
        return data;
    }

    /// <summary>The kernel registered under <paramref name="name"/>.</summary>
    public static MethodInfo Find(string name) =>
        KernelRegistry.All.SingleOrDefault(m => Name(m) == name)
        ?? throw new InvalidOperationException($"No kernel named {name} in KernelRegistry.All.");

    /// <summary>Skips (visibly, with the registry's reason) when the kernel declares <paramref name="backend"/> unsupported.</summary>
    public static void SkipIfUnsupported(MethodInfo kernel, string backend)
    {
        var attribute = kernel.GetCustomAttribute<KernelAttribute>()!;
        if (!attribute.UnsupportedBackends.Contains(backend, StringComparer.OrdinalIgnoreCase)) return;
        Assert.False(string.IsNullOrWhiteSpace(attribute.Reason),
            $"{Name(kernel)} lists {backend} as unsupported without a Reason.");
        Assert.Skip($"{Name(kernel)} does not support {backend}: {attribute.Reason}");
    }
}
