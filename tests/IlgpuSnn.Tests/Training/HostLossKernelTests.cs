using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Training;

/// <summary>
/// On the CPU accelerator cross-entropy and the count of correct rows run as one launch (partial sums, then the thread
/// that finishes last adds them); the portable kernels GPUs run take two. Both forms must give the same bits: the same
/// partial sums added in the same order.
/// </summary>
public sealed class HostLossKernelTests(TestDevice fixture)
{
    [Theory]
    [InlineData(7, 10, 1)]
    [InlineData(37, 3, 1)]
    [InlineData(1500, 5, 1)] // more rows than partial sums: a partial adds several rows
    [InlineData(1500, 5, 3)] // 3 steps of 500 rows reading one step's labels
    public void Host_and_portable_forms_agree_exactly(int rows, int classes, int steps)
    {
        using var host = fixture.CreateFresh();
        if (!host.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        var logits = Rand.Uniform(rows * classes, 5, -6f, 6f);
        var rng = new Random(6);
        var labels = Enumerable.Range(0, rows / steps).Select(_ => (float)rng.Next(classes)).ToArray();
        var repeated = Enumerable.Range(0, steps).SelectMany(_ => labels).ToArray();
        var results = new List<float[]>();
        foreach (var device in (Device[])[host, portable])
        {
            using var scope = TensorScope.Begin();
            var x = Tensor.FromArray(device, logits, rows, classes);
            var y = Tensor.FromArray(device, labels, labels.Length);
            var all = Tensor.FromArray(device, repeated, rows);
            long before = device.Activity.KernelLaunches;
            var loss = Ops.SoftmaxCrossEntropy(x, y, 0.25f, labelsPerStep: true);
            if (device.Launch.UseHostKernels) Assert.Equal(1, device.Activity.KernelLaunches - before);
            var plain = Ops.SoftmaxCrossEntropy(x, all);
            int correct = Ops.CountCorrect(x, all);
            results.Add([loss.Item(), plain.Item(), correct]);
        }
        Assert.Equal(results[1], results[0]);
        // And the count against a plain loop (first maximum wins).
        int expected = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = logits.AsSpan(r * classes, classes).ToArray();
            if (Array.IndexOf(row, row.Max()) == (int)repeated[r]) expected++;
        }
        Assert.Equal(expected, results[0][2]);
    }
}
