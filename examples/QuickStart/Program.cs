// Trains a small spiking MLP on Fashion-MNIST with the estimator named on the command line (default: sltt).
using IlgpuSnn.Data;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

var estimatorName = args.Length > 0 ? args[0] : "sltt";
var (train, test) = VisionDatasets.Load("fashion-mnist");
train = train.Take(6000);
test = test.Take(2000);

using var device = Device.Create();
var neuron = new NeuronSpec(Decay: 0.5f, Threshold: 1f, Reset: ResetMode.Soft, DetachReset: false, SurrogateFunction: Surrogate.Sigmoid(4f));
using var network = SpikingNetwork.Build(device, [1, 28, 28], b => b
    .Flatten().Linear(256, bias: false).BatchNorm().Lif(neuron)
    .Linear(10), seed: 1);
using var estimator = EstimatorFactory.Create(estimatorName, new EstimatorOptions { K = 2, Window = 2 });
estimator.Attach(network);
using var optimizer = new Sgd(network.Parameters.Concat(estimator.ExtraParameters).ToList(), learningRate: 0.05f, momentum: 0.9f);
var trainer = new Trainer(network, estimator, optimizer, new DirectEncoder(), new TrainingOptions { Epochs = 1, BatchSize = 64, TimeSteps = 4 });
foreach (var epoch in trainer.Fit(train, test))
    Console.WriteLine($"{estimator.Name}: test accuracy {epoch.TestAccuracy:P2}, peak pool {epoch.PeakPoolBytes / 1048576.0:F1} MiB, {epoch.TrainSeconds:F1} s");
