using System.Text.Json;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

namespace IlgpuSnn.Cli;

/// <summary>
/// network.json in a run folder: what `snn train` built (model, input shape, classes, neuron, surrogate, reset, seed), so
/// that later commands (`snn export nir`) rebuild the same network and load the checkpoint's weights into it.
/// </summary>
internal sealed record RunNetwork(string Model, int[] InputShape, int Classes, string Neuron, string Surrogate, string Reset, int Seed)
{
    public const string File = "network.json";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public NeuronSpec NeuronSpec => Spec(Neuron, Surrogate, Reset);

    /// <summary>The neuron model of `snn train`'s --neuron, --surrogate and --reset.</summary>
    public static NeuronSpec Spec(string neuron, string surrogate, string reset) => NeuronSpec.Named(neuron, Neurons.Surrogate.Parse(surrogate)) with
    {
        Reset = reset == "hard" ? ResetMode.Hard : ResetMode.Soft,
    };

    public void Write(string folder) => Formats.AtomicFile.WriteAllText(Path.Combine(folder, File), JsonSerializer.Serialize(this, Json));

    /// <summary>The trained network of run folder <paramref name="folder"/>: network.json rebuilt, the checkpoint's weights loaded.</summary>
    /// <exception cref="FileNotFoundException">network.json or the checkpoint is missing.</exception>
    /// <exception cref="InvalidDataException">network.json is malformed or the checkpoint does not fit it.</exception>
    public static SpikingNetwork Load(string folder, Device device)
    {
        var description = Path.Combine(folder, File);
        var checkpoint = Path.Combine(folder, Trainer.CheckpointFile);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: the run folder does not exist.");
        if (!System.IO.File.Exists(description))
            throw new FileNotFoundException($"{description}: missing; run folders of `snn train` hold it (runs made before it existed must be trained again).", description);
        if (!System.IO.File.Exists(checkpoint)) throw new FileNotFoundException($"{checkpoint}: missing; no epoch of this run finished.", checkpoint);
        RunNetwork run;
        try
        {
            run = JsonSerializer.Deserialize<RunNetwork>(System.IO.File.ReadAllText(description), Json)
                ?? throw new InvalidDataException($"{description}: empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{description}: not a network description ({e.Message}).", e);
        }
        var network = Models.Create(run.Model, device, run.InputShape, run.Classes, run.NeuronSpec, run.Seed);
        try
        {
            network.Load(checkpoint);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
