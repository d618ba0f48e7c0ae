using System.CommandLine;
using System.Globalization;
using IlgpuSnn.Hdf5.Nir;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Cli;

/// <summary>`snn export nir RUN_DIR FILE.nir`: a trained network as a NIR graph (HDF5) for neuromorphic hardware and other simulators.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("RUN_DIR") { Description = "The --out folder of `snn train` (network.json and checkpoint.safetensors)." };
        var file = new Argument<string>("FILE") { Description = "The .nir file to write." };
        var dt = new Option<double>("--dt") { Description = "Seconds one time step stands for (NIR is continuous-time): tau = dt/(1 − λ), r = tau/dt.", DefaultValueFactory = _ => new NirOptions().Dt };
        var allowSoft = new Option<bool>("--allow-soft-reset") { Description = "Write soft-reset neurons as NIR neurons, which reset to 0 (the file then behaves differently)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace FILE if it exists." };
        var nir = new Command("nir", "Write the trained network of RUN_DIR as a NIR graph (Affine, Conv2d, LIF, IF, AvgPool2d, Flatten; BatchNorm folded).")
        {
            run, file, dt, allowSoft, overwrite,
        };
        nir.SetAction((parse, _) => Task.FromResult(CliErrors.Run("export nir", parse, () =>
        {
            var target = parse.GetValue(file)!;
            if (File.Exists(target) && !parse.GetValue(overwrite))
                throw new IOException($"{target} exists; pass --overwrite to replace it.");
            var options = new NirOptions { Dt = parse.GetValue(dt), AllowSoftReset = parse.GetValue(allowSoft) };
            if (!(options.Dt > 0 && double.IsFinite(options.Dt))) throw new ArgumentException($"--dt must be a positive number of seconds, got {options.Dt}.");
            using var device = Device.Create("cpu");
            using var network = RunNetwork.Load(parse.GetValue(run)!, device);
            var graph = NirExport.FromNetwork(network, options);
            NirFile.Write(target, graph, new Dictionary<string, string>
            {
                ["source"] = "IlgpuSnn", ["dt"] = options.Dt.ToString("R", CultureInfo.InvariantCulture),
            });
            Console.WriteLine($"{Path.GetFullPath(target)}: {graph.Nodes.Count} nodes ({string.Join(" → ", Chain(graph))}), dt = {options.Dt.ToString(CultureInfo.InvariantCulture)} s.");
            return 0;
        })));
        return new Command("export", "Export a trained network to another format.") { nir };
    }

    private static IEnumerable<string> Chain(NirGraph graph)
    {
        var next = graph.Edges.ToDictionary(e => e.From, e => e.To);
        for (var at = "input"; ; at = next[at])
        {
            yield return graph.Nodes[at].Type;
            if (!next.ContainsKey(at)) yield break;
        }
    }
}
