using IlgpuSnn.Runtime;

namespace IlgpuSnn.Tests.Architecture;

/// <summary>
/// The library's layering, checked over the compiled assembly: a namespace uses only namespaces below it, kernels are
/// internal, written and loaded only in the kernels namespace, and reached only through the operations (and the tape's
/// gradient accumulation).
/// </summary>
public sealed class LayeringTests
{
    /// <summary>Each namespace and its level: a type may use its own namespace and namespaces of a lower level only.</summary>
    private static readonly Dictionary<string, int> Levels = new()
    {
        ["IlgpuSnn.Runtime"] = 0,          // Device, Tensor, BufferPool, LaunchPlan
        ["IlgpuSnn.Formats"] = 10,         // file formats: SafeTensors, IDX, atomic writes
        ["IlgpuSnn.Neurons"] = 10,         // neuron and surrogate contracts the kernels are compiled with
        ["IlgpuSnn.Kernels"] = 20,         // ILGPU kernels and their launchers
        ["IlgpuSnn.Autodiff"] = 30,        // the tape
        ["IlgpuSnn"] = 40,                 // Ops (differentiable operations) and losses
        ["IlgpuSnn.Distributed"] = 45,     // collectives (one process, MPI, NCCL), data shards, replica reconciliation
        ["IlgpuSnn.Layers"] = 50,          // layers and the network
        ["IlgpuSnn.Data"] = 50,            // datasets, loaders, encoders
        ["IlgpuSnn.Data.Events"] = 55,     // event-camera formats and frame integration (datasets of frames)
        ["IlgpuSnn.Data.Cifar10"] = 58,    // CIFAR-10 binary batches (reuses the event readers' located errors)
        ["IlgpuSnn.Data.SpikeTrains"] = 58, // spike-train samples (SHD, SSC) binned by the event frame rules
        ["IlgpuSnn.Diagnostics"] = 60,     // probes of a network's spikes and membranes
        ["IlgpuSnn.Estimators"] = 60,      // training methods and their layer adapters
        ["IlgpuSnn.Training"] = 70,        // trainer, optimizers (gradient all-reduce among them), schedules
    };

    /// <summary>Uses of a higher level that are part of the design, with the reason.</summary>
    private static readonly Dictionary<(string From, string To), string> Allowed = new()
    {
        [("IlgpuSnn.Runtime", "IlgpuSnn.Autodiff")] = "Tensor's views (Reshape, Slice) record themselves on the tape; MacCounter asks whether a backward runs",
        [("IlgpuSnn.Runtime", "IlgpuSnn.Kernels")] = "Tensor.Full/Zeros and Slice's backward launch the fill and copy kernels (the ILGPU memset and view copy were 1.7x slower end to end on the CPU accelerator)",
    };

    /// <summary>
    /// Namespaces that may use the kernels: the kernels themselves, the operations, the tape (gradient sums) and the
    /// tensor's fill and copy (the listed Runtime → Kernels exception).
    /// </summary>
    private static readonly HashSet<string> KernelUsers = ["IlgpuSnn.Kernels", "IlgpuSnn", "IlgpuSnn.Autodiff", "IlgpuSnn.Runtime"];

    private static readonly Type[] LibraryTypes = typeof(Tensor).Assembly.GetTypes().Where(t => t.Namespace is not null).ToArray();

    [Fact]
    public void Every_namespace_of_the_library_has_a_level()
    {
        var unplaced = LibraryTypes.Select(t => t.Namespace!).Distinct().Where(n => !Levels.ContainsKey(n)).ToList();
        Assert.True(unplaced.Count == 0, $"place these namespaces in {nameof(Levels)}: {string.Join(", ", unplaced)}");
    }

    [Fact]
    public void No_namespace_uses_a_namespace_above_it()
    {
        var violations = Violations((from, to) =>
            from != to && Levels.TryGetValue(from, out var a) && Levels.TryGetValue(to, out var b) && b >= a && !Allowed.ContainsKey((from, to)));
        Assert.True(violations.Count == 0, "layering violations (type → used type):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Kernels_are_internal_and_reached_only_through_the_operations()
    {
        var visible = LibraryTypes.Where(t => t.Namespace == "IlgpuSnn.Kernels" && t.IsVisible).Select(t => t.FullName).ToList();
        Assert.True(visible.Count == 0, "public kernel types: " + string.Join(", ", visible));
        var launches = Violations((from, to) => to == "IlgpuSnn.Kernels" && !KernelUsers.Contains(from));
        Assert.True(launches.Count == 0, "kernels used outside Ops (type → kernel type):\n" + string.Join("\n", launches));
    }

    /// <summary>ILGPU's device-side types: a method that uses one is a kernel body (or part of one).</summary>
    private static readonly Type[] DeviceIntrinsics =
        [typeof(ILGPU.Grid), typeof(ILGPU.Group), typeof(ILGPU.Warp), typeof(ILGPU.SharedMemory), typeof(ILGPU.LocalMemory), typeof(ILGPU.Atomic)];

    [Fact]
    public void Kernels_are_written_and_loaded_only_in_the_kernels_namespace()
    {
        var violations = KernelPlacementViolations(LibraryTypes);
        Assert.True(violations.Count == 0, "kernels outside IlgpuSnn.Kernels:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_kernel_placement_rule_sees_a_kernel_written_and_loaded_elsewhere()
    {
        var violations = KernelPlacementViolations([typeof(StrayKernel)]);
        Assert.Contains(violations, v => v.Contains("[Kernel] Body", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("ILGPU.Grid", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("loads a kernel", StringComparison.Ordinal));
    }

    /// <summary>
    /// Outside <c>IlgpuSnn.Kernels</c>: no <c>[Kernel]</c> method, no use of ILGPU's device-side types, and no kernel
    /// loaded (through the device's kernel cache or ILGPU's loaders; the cache itself is where loading is implemented).
    /// </summary>
    private static List<string> KernelPlacementViolations(IEnumerable<Type> types)
    {
        var result = new List<string>();
        foreach (var type in types.Where(t => t.Namespace != "IlgpuSnn.Kernels"))
        {
            foreach (var m in type.GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Instance |
                         System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly))
                if (m.IsDefined(typeof(KernelAttribute), false)) result.Add($"{type.FullName}: [Kernel] {m.Name}");
            foreach (var used in DependencyScanner.ReferencedTypes(type).Intersect(DeviceIntrinsics))
                result.Add($"{type.FullName}: uses {used.FullName}");
            if (IsOrIsNestedIn(type, typeof(KernelCache))) continue;
            foreach (var called in DependencyScanner.CalledMethods(type))
            {
                bool loads = called.DeclaringType == typeof(KernelCache) && called.Name == nameof(KernelCache.Load)
                    || called.DeclaringType?.Namespace?.StartsWith("ILGPU", StringComparison.Ordinal) == true
                       && (called.Name.StartsWith("Load", StringComparison.Ordinal) && called.Name.Contains("Kernel", StringComparison.Ordinal)
                           || called.Name.StartsWith("Launch", StringComparison.Ordinal));
                if (loads) result.Add($"{type.FullName}: loads a kernel ({called.DeclaringType?.Name}.{called.Name})");
            }
        }
        return result.Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static bool IsOrIsNestedIn(Type type, Type outer) =>
        type == outer || (type.DeclaringType is { } declaring && IsOrIsNestedIn(declaring, outer));

    /// <summary>A kernel written and loaded outside the kernels namespace (what the placement rule forbids).</summary>
    private static class StrayKernel
    {
        public static void Launch(Device device, ILGPU.ArrayView<float> y) =>
            device.Kernels.Load<ILGPU.ArrayView<float>>(Body)(device.Launch.GridStride(y.Length), y);

        [Kernel]
        internal static void Body(ILGPU.ArrayView<float> y) => y[ILGPU.Grid.GlobalIndex.X] = 0f;
    }

    /// <summary>A type outside the operations that launches a kernel directly (what the rules forbid).</summary>
    private static class LaunchesAKernel
    {
        public static void Run(Device device, ILGPU.ArrayView<float> y) =>
            IlgpuSnn.Kernels.Elementwise.Fill(device, y, 0f);
    }

    [Fact]
    public void The_scanner_sees_a_kernel_launched_from_a_method_body()
    {
        var used = DependencyScanner.ReferencedTypes(typeof(LaunchesAKernel));
        Assert.Contains(typeof(IlgpuSnn.Kernels.Elementwise), used);
        // and the uses the rules rely on in the library itself: a layer uses Ops, an estimator uses layers
        Assert.Contains(typeof(Ops), DependencyScanner.ReferencedTypes(typeof(IlgpuSnn.Layers.Linear)));
        Assert.Contains(typeof(IlgpuSnn.Layers.NeuronLayer), DependencyScanner.ReferencedTypes(typeof(IlgpuSnn.Estimators.Sltt)).Concat(
            typeof(IlgpuSnn.Estimators.Sltt).GetNestedTypes(System.Reflection.BindingFlags.NonPublic).SelectMany(DependencyScanner.ReferencedTypes)));
    }

    private static List<string> Violations(Func<string, string, bool> forbidden)
    {
        var result = new List<string>();
        foreach (var type in LibraryTypes)
        {
            foreach (var used in DependencyScanner.ReferencedTypes(type))
            {
                if (used.Assembly != type.Assembly || used.Namespace is null) continue;
                if (forbidden(type.Namespace!, used.Namespace)) result.Add($"{type.FullName} → {used.FullName}");
            }
        }
        return result.Distinct().Order(StringComparer.Ordinal).ToList();
    }
}
