using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Training;

/// <summary>
/// MemoryEstimate refuses runs before anything is allocated, so it must never under-count: for every method (both
/// RateBP BatchNorm modes, TT-LBPTT with and without a window) the pool's exact peak over one training sequence on
/// the CPU, parameters included, stays below the estimate; and the estimate stays within a small factor of it, so
/// runs that fit are not refused.
/// </summary>
public sealed class MemoryEstimateTests(TestDevice fixture)
{
    public static TheoryData<string, string, int> Runs()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var name in EstimatorFactory.Names)
            foreach (int steps in new[] { 2, 8, 32 })
            {
                data.Add(name, "", steps);
                if (name == "ratebp") data.Add(name, "per-step", steps);
                if (name == "tt-lbptt") data.Add(name, "window 2", steps);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void The_estimate_covers_the_measured_peak_of_a_training_sequence(string estimator, string variant, int steps)
    {
        const int batch = 4;
        using var device = fixture.CreateFresh();
        var lif = new NeuronSpec(Decay: 0.5f);
        using var network = SpikingNetwork.Build(device, [1, 12, 12], b => b
            .Conv2d(6, 3, padding: 1, bias: false).BatchNorm().Lif(lif).AvgPool2d(2)
            .Conv2d(12, 3, padding: 1, bias: false).BatchNorm().Lif(lif)
            .Flatten().Linear(16).BatchNorm().Lif(lif).Linear(5), seed: 4);
        int? window = variant == "window 2" ? 2 : null;
        var options = new EstimatorOptions
        {
            K = estimator == "sltt-k" ? 2 : null,
            Window = window,
            BatchNormStats = variant == "per-step" ? BatchNormStatistics.PerStep : null,
        };
        using var method = EstimatorFactory.Create(estimator, options);
        method.Attach(network);
        long estimate = MemoryEstimate.TrainingBytes(network, estimator, steps, batch, window, options.BatchNormStats);

        device.Pool.ResetPeak();
        using (var scope = TensorScope.Begin())
        {
            // One frame repeated (the direct encoding): SAF refuses BatchNorm with a time-varying input.
            var frame = Rand.Uniform(batch * 144, 6, 0f, 1.5f);
            var input = Tensor.FromArray(device, Enumerable.Range(0, steps).SelectMany(_ => frame).ToArray(), steps, batch, 1, 12, 12);
            var labels = Tensor.FromArray(device, [0f, 1f, 2f, 4f], batch);
            var loss = new SequenceLoss(Criterion.CrossEntropy, method.RequiredReduction ?? LossReduction.PerStep, labels);
            method.Run(network, input, loss, new EstimatorContext { Update = () => { }, Seed = 9 });
        }

        long peak = device.Pool.PeakBytes;
        Assert.True(peak > 0);
        Assert.True(peak <= estimate, $"{estimator} {variant} T = {steps}: measured peak {peak} B above the estimate {estimate} B");
        Assert.True(estimate <= 8 * peak, $"{estimator} {variant} T = {steps}: estimate {estimate} B over 8x the measured peak {peak} B");
    }
}
