using IlgpuSnn.Data;
using IlgpuSnn.Data.Events;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

namespace IlgpuSnn.Cli;

/// <summary>
/// What `snn train` trains with: network, estimator, optimizer, encoder and trainer, built from the command's settings
/// for one input shape. The run and its warm-up's scratch copy are built by the same code, so they take the same paths.
/// </summary>
internal sealed class TrainingSetup : IDisposable
{
    private TrainingSetup(SpikingNetwork network, IGradientEstimator method, IOptimizer optimizer, IEncoder encoder, Trainer trainer)
    {
        Network = network;
        Method = method;
        Optimizer = optimizer;
        Encoder = encoder;
        Trainer = trainer;
    }

    public SpikingNetwork Network { get; }

    public IGradientEstimator Method { get; }

    public IOptimizer Optimizer { get; }

    public IEncoder Encoder { get; }

    public Trainer Trainer { get; }

    /// <summary>Builds everything for <paramref name="shape"/> (image shape, classes and training samples); refuses a run whose memory estimate exceeds the device's.</summary>
    public static TrainingSetup Build(TrainCommand.TrainSettings s, TrainingOptions options, Device device, ImageSplitShape shape, int? frames, NeuronSpec neuron)
    {
        var network = Models.Create(s.Model, device, [shape.Channels, shape.Height, shape.Width], shape.Classes, neuron, s.Seed);
        var owned = new List<IDisposable> { network };
        try
        {
            MemoryEstimate.Require(device, network, s.Estimator, s.TimeSteps, Math.Min(s.BatchSize, Math.Max(shape.Count, 1)), s.Window, TrainCommand.ParseBatchNormStats(s.BnStats));
            int spiking = network.NeuronLayerIndices.Count;
            var blocks = s.Blocks is { } nb ? TruncatedLocalBptt.EvenBlocks(spiking, nb) : null;
            var method = EstimatorFactory.Create(s.Estimator, new EstimatorOptions
            {
                K = s.K, Window = s.Window, Blocks = blocks, BatchNormStats = TrainCommand.ParseBatchNormStats(s.BnStats),
                PerWindowUpdate = TtLbpttOptions.PerWindow(s.Update), AuxiliaryHead = TtLbpttOptions.Head(s.AuxHead),
            });
            owned.Add(method);
            method.Attach(network);
            var parameters = network.Parameters.Concat(method.ExtraParameters).ToList();
            var optimizer = s.Optimizer switch
            {
                "sgd" => (IOptimizer)new Sgd(parameters, s.Lr, momentum: 0.9f, nesterov: false, weightDecay: 5e-4f),
                "adamw" => new AdamW(parameters, s.Lr),
                _ => throw new ArgumentException($"Unknown optimizer '{s.Optimizer}'. Valid: sgd, adamw."),
            };
            owned.Add(optimizer);
            IEncoder encoder = frames is { } frameCount ? new FrameEncoder(frameCount) : s.Encoder switch
            {
                "direct" => new DirectEncoder(),
                "poisson" => new PoissonEncoder(),
                _ => throw new ArgumentException($"Unknown encoder '{s.Encoder}'. Valid: direct, poisson."),
            };
            var trainer = new Trainer(network, method, optimizer, encoder, options, TrainCommand.ParseLossOn(s.LossOn));
            return new TrainingSetup(network, method, optimizer, encoder, trainer);
        }
        catch
        {
            owned.Reverse();
            foreach (var o in owned) o.Dispose();
            throw;
        }
    }

    /// <summary>Frees the optimizer, the estimator and the network, in that order.</summary>
    public void Dispose()
    {
        Optimizer.Dispose();
        Method.Dispose();
        Network.Dispose();
    }
}
