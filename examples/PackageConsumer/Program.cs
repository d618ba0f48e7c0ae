// Uses IlgpuSnn through its NuGet package: builds a small spiking network and takes one BPTT step.
using IlgpuSnn;
using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

using var device = Device.Create("cpu");
using var network = SpikingNetwork.Build(device, [4], b => b.Linear(8).Lif().Linear(2), seed: 1);
using var estimator = new Bptt();
using var optimizer = new Sgd(network.Parameters, learningRate: 0.1f);
using var scope = TensorScope.Begin();
var input = Tensor.Full(device, 0.8f, 3, 2, 4);
var labels = Tensor.FromArray(device, [0f, 1f], 2);
var result = estimator.Run(network, input, new SequenceLoss(Criterion.CrossEntropy, LossReduction.PerStep, labels),
    new EstimatorContext { Update = () => { optimizer.Step(); optimizer.ZeroGrad(); } });
Console.WriteLine($"package OK: loss {result.Loss:F4} on {device.Info}");
