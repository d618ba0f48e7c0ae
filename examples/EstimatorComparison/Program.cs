// Trains the same spiking MLP on a Fashion-MNIST subset with every estimator and prints accuracy, memory and compute.
// `snn compare` does the same with more options, a CSV/JSON table and a plot of memory against T.
using IlgpuSnn.Data;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tools;
using IlgpuSnn.Training;

var (train, test) = VisionDatasets.Load("fashion-mnist");
train = train.Take(5000);
test = test.Take(1000);
using var device = Device.Create();
SpikingNetwork Build(Device d) => Models.Create("mlp", d, [1, 28, 28], 10, new NeuronSpec(Decay: 0.5f), seed: 1);
var rows = EstimatorComparison.Run(device, Build, EstimatorFactory.Names, new EstimatorOptions { K = 2, Window = 2 }, train, test,
    new TrainingOptions { Epochs = 1, BatchSize = 64, TimeSteps = 4, Seed = 1 }, [2, 4, 8],
    p => new Sgd(p, 0.05f, momentum: 0.9f), new Progress<string>(Console.WriteLine));
Console.WriteLine($"{"estimator",-10} {"test acc",9} {"peak MiB",9} {"fwd MACs",10} {"bwd MACs",10} {"work T=2",9} {"work T=8",9}");
foreach (var r in rows)
    Console.WriteLine($"{r.Estimator,-10} {r.TestAccuracy,9:P2} {r.PeakPoolBytes / 1048576.0,9:F2} {r.ForwardMacs,10:E2} {r.BackwardMacs,10:E2} {r.WorkingBytesByTimeSteps[2] / 1048576.0,9:F3} {r.WorkingBytesByTimeSteps[8] / 1048576.0,9:F3}");
