using BenchmarkDotNet.Running;
using IlgpuSnn.Runtime;

// Usage: dotnet run -c Release --project benchmarks/IlgpuSnn.Benchmarks -- [--device cuda|opencl|cpu[:index]] [BenchmarkDotNet options]
// `iteration` runs the whole-iteration benchmark of a VGG-11-like spiking CNN instead (see IterationBenchmark.cs);
// `throughput` prints GEMM and convolution GFLOP/s for given shapes (see GemmThroughput.cs);
// `bandwidth` prints GB/s of the element-wise kernels beside STREAM-like copy and triad (see BandwidthBenchmark.cs);
// `sparsity` prints spike densities per layer and the sparse paths' times while a net trains, `sparsity --crossover` the
// event-driven linear products' crossover per shape and density (SparsityBenchmark.cs, SpikeGemmCrossover.cs).
// --device is ours (it sets ILGPUSNN_DEVICE, which the benchmark processes inherit); everything else goes to BenchmarkDotNet.
var rest = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--device" && i + 1 < args.Length)
        Environment.SetEnvironmentVariable(Device.EnvironmentVariable, args[++i]);
    else if (args[i].StartsWith("--device=", StringComparison.Ordinal))
        Environment.SetEnvironmentVariable(Device.EnvironmentVariable, args[i]["--device=".Length..]);
    else
        rest.Add(args[i]);
}

// --help prints a subcommand's usage instead of running it with its defaults (the iteration benchmark's default is the
// whole VGG-11 grid: many minutes and gigabytes).
var usage = new Dictionary<string, string>
{
    ["iteration"] = "iteration [--model vgg11|conv|mlp] [--batch 128] [--steps 2,4,6,8,16] [--estimators bptt,sltt,...] [--iterations 5] [--size 32] [--width 1.0] [--profile]",
    ["sparsity"] = "sparsity [--model conv|mlp] [--iterations 40] [--probes 0,20,39] [--rounds 3] | sparsity --crossover (see SpikeGemmCrossover.cs)",
    ["bandwidth"] = "bandwidth [--floats 8388608] [--repeats 10] [--rounds 2]",
    ["throughput"] = "throughput [--gemm MxNxK[:a|:b|:ab],...] [--conv BxCxOxS,...] [--ops op:dims,...] [--share spec,...] [--reps 5] [--silent 0.5] (see GemmThroughput.cs)",
};
if (rest.Count > 0 && usage.TryGetValue(rest[0], out var line) && rest.Skip(1).Any(a => a is "--help" or "-h"))
{
    Console.WriteLine($"Usage: IlgpuSnn.Benchmarks [--device cuda|opencl|cpu[:index]] {line}");
    return 0;
}

if (rest.Count > 0 && rest[0] == "iteration") return IlgpuSnn.Benchmarks.IterationBenchmark.Run(rest.Skip(1).ToList());
if (rest.Count > 0 && rest[0] == "sparsity") return IlgpuSnn.Benchmarks.SparsityBenchmark.Run(rest.Skip(1).ToList());
if (rest.Count > 0 && rest[0] == "bandwidth") return IlgpuSnn.Benchmarks.BandwidthBenchmark.Run(rest.Skip(1).ToList());
if (rest.Count > 0 && rest[0] == "throughput") return IlgpuSnn.Benchmarks.GemmThroughput.Run(rest.Skip(1).ToList());
BenchmarkSwitcher.FromAssembly(typeof(IlgpuSnn.Benchmarks.ElementwiseBenchmarks).Assembly).Run([.. rest]);
return 0;
