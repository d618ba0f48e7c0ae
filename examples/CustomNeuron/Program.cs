// Trains a spiking MLP whose neurons are defined in this example (DecayInputLifNeuron.cs), not in the library, with
// two gradient estimators on a few hundred Fashion-MNIST images. Arguments: [train images] [test images].
using CustomNeuron;
using IlgpuSnn.Data;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

int trainCount = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 512;
int testCount = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 256;
var (train, test) = VisionDatasets.Load("fashion-mnist");
train = train.Take(trainCount);
test = test.Take(testCount);

using var device = Device.Create();
// τ = 2 (λ = 0.5), threshold 1, the reset kept in the backward, ATan surrogate (α = 2).
var neuron = new NeuronSpec(Decay: 0.5f, Threshold: 1f, SurrogateFunction: Surrogate.ATan()) { Model = DecayInputLifModel.Instance };
foreach (var estimatorName in new[] { "bptt", "sltt" })
{
    using var network = SpikingNetwork.Build(device, [1, 28, 28], b => b
        .Flatten().Linear(128, bias: false).BatchNorm().Neuron(neuron)
        .Linear(10), seed: 1);
    using var estimator = EstimatorFactory.Create(estimatorName);
    estimator.Attach(network);
    using var optimizer = new Sgd(network.Parameters.Concat(estimator.ExtraParameters).ToList(), learningRate: 0.05f, momentum: 0.9f);
    var trainer = new Trainer(network, estimator, optimizer, new DirectEncoder(), new TrainingOptions { Epochs = 1, BatchSize = 32, TimeSteps = 4 });
    foreach (var epoch in trainer.Fit(train, test))
        Console.WriteLine($"{neuron.Model.Name} with {estimator.Name}: train loss {epoch.TrainLoss:F4}, test accuracy {epoch.TestAccuracy:P2} ({train.Count} training images, {epoch.TrainSeconds:F1} s)");
}
