using System.Text.Json;
using IlgpuSnn.Data;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Plotting;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Training;

/// <summary>Firing rates per spiking layer, measured on the test set at the end of every epoch.</summary>
public sealed class FiringRateTests(TestDevice fixture)
{
    [Fact]
    public void Evaluate_measures_spikes_per_neuron_and_step_of_every_spiking_layer()
    {
        // Identity weights, LIF λ = 0.5, Vth = 1, soft reset, the image repeated for T = 4 steps.
        // Pixel 0.6: u = 0.6, 0.9, 1.05 (spike, v = 0.05), 0.625 → 1 spike. Pixel 1.2: u = 1.2, 1.3, 1.35, 1.375 → 4 spikes.
        // Layer 1: (1 + 4) / (2 neurons · 4 steps) = 0.625. Layer 2 (same λ) gets those spikes (0,0,1,0) and (1,1,1,1):
        // neuron 0: u = 0, 0, 1 (spike), 0 → 1; neuron 1: u = 1 (spike, v = 0), 1, 1, 1 → 4: again 0.625.
        using var net = SpikingNetwork.Build(fixture.Device, [2], b => b
            .Linear([[1f, 0f], [0f, 1f]]).Neuron(NeuronSpec.Lif(0.5f))
            .Linear([[1f, 0f], [0f, 1f]]).Neuron(NeuronSpec.Lif(0.5f))
            .Linear([[1f, 1f]]));
        using var method = new Bptt();
        using var sgd = new Sgd(net.Parameters, 0.1f);
        var trainer = new Trainer(net, method, sgd, new DirectEncoder(), new TrainingOptions { Epochs = 1, BatchSize = 2, TimeSteps = 4 });
        var test = new ImageDataset([0.6f, 1.2f, 0.6f, 1.2f, 0.6f, 1.2f], [0, 0, 0], 2, 1, 1, 1);
        var (_, _, rates) = trainer.Evaluate(new DataLoader(fixture.Device, test, 2, shuffle: false, seed: 0), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, rates.Count);
        Assert.Equal(0.625, rates[0], 1e-9);
        Assert.Equal(0.625, rates[1], 1e-9);
    }

    [Fact]
    public void Training_records_them_per_epoch_in_metrics_json_and_draws_them()
    {
        using var dir = new TempFolder();
        using var net = SpikingNetwork.Build(fixture.Device, [1, 4, 4], b => b.Flatten().Linear(8).Lif().Linear(6).Lif().Linear(2), seed: 3);
        using var method = new Bptt();
        using var sgd = new Sgd(net.Parameters, 0.1f, momentum: 0.9f);
        var rng = new Random(4);
        var images = Enumerable.Range(0, 32 * 16).Select(_ => rng.NextSingle()).ToArray();
        var data = new ImageDataset(images, Enumerable.Range(0, 32).Select(i => i % 2).ToArray(), 1, 4, 4, 2);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 8, TimeSteps = 3, OutputDirectory = dir.Path };
        var history = new Trainer(net, method, sgd, new DirectEncoder(), options).Fit(data, data, cancellationToken: TestContext.Current.CancellationToken);
        Assert.All(history, h => Assert.Equal(2, h.FiringRates.Count));
        Assert.All(history.SelectMany(h => h.FiringRates), r => Assert.InRange(r, 0, 1));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, Trainer.MetricsJsonFile)));
        var recorded = json.RootElement.GetProperty("history")[1].GetProperty("firing_rates").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(history[1].FiringRates, recorded);
        var png = SnnPlots.FiringRates(TrainingRun.Read(Path.Combine(dir.Path, Trainer.MetricsJsonFile)), Path.Combine(dir.Path, "rates.png"), net.NeuronLayerIndices);
        Assert.True(new FileInfo(png).Length > 1000);
    }
}
