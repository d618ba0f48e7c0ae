using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Tests.Neurons;

/// <summary>The neuron kernels compile for PTX and OpenCL without a device (frontend and intrinsic errors).</summary>
public sealed class NeuronKernelCodegenTests
{
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var m in KernelRegistry.All.Where(m => m.DeclaringType!.Name is "LifKernels" or "LifBackwardKernels"))
            data.Add(m.DeclaringType!.Name + "." + m.Name);
        return data;
    }

    private static MethodInfo Find(string name) =>
        KernelRegistry.All.Single(m => m.DeclaringType!.Name + "." + m.Name == name);

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Compiles_for_ptx_and_opencl(string name)
    {
        var method = Find(name);
        using var ctx = Context.Create(b => b.Optimize(OptimizationLevel.O2).EnableAlgorithms());
        using (var ptx = new PTXBackend(ctx, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, nvvmAPI: null!))
        {
            var ck = (PTXCompiledKernel)ptx.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), default);
            Assert.DoesNotContain(".extern .func", ck.PTXAssembly, StringComparison.Ordinal);
        }
        using var cl = new CLBackend(ctx, new CLCapabilityContext(float16: false, float64: true, genericAddressSpace: true,
            int64_Atomics: true, subGroups: false), CLDeviceVendor.Other, CLCVersion.CL20);
        var clk = (CLCompiledKernel)cl.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), default);
        Assert.False(string.IsNullOrEmpty(clk.Source));
    }
}
