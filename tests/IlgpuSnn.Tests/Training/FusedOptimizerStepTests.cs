using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Training;

/// <summary>
/// On the CPU accelerator an optimizer step is one launch of a host-pointer kernel over every parameter (the portable
/// kernels, which GPUs run, take one launch per parameter plus one to count the step). Both forms must leave exactly the
/// same parameters, state and step counts: run side by side on two devices, one of them forced to the portable kernels,
/// through steps with a parameter that has no gradient and steps whose skip flag is set on the device.
/// </summary>
public sealed class FusedOptimizerStepTests(TestDevice fixture)
{
    // Lengths that do not divide evenly among the threads, so thread pieces start and end inside parameters.
    private static readonly int[][] Shapes = [[37, 29], [5], [1], [211, 3], [64]];

    private static readonly bool[] Flagged = [false, false, true, false, true, false];

    [Theory]
    [InlineData("sgd")]
    [InlineData("sgd-momentum")]
    [InlineData("sgd-nesterov")]
    [InlineData("adamw")]
    public void Host_and_portable_forms_agree_exactly(string method)
    {
        using var host = fixture.CreateFresh();
        if (!host.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        using var portable = fixture.CreateFresh();
        portable.Launch.UseHostKernels = false;
        var (hostParameters, hostOptimizer, hostFlag) = Make(host, method);
        var (portableParameters, portableOptimizer, portableFlag) = Make(portable, method);
        for (int step = 0; step < Flagged.Length; step++)
        {
            // Parameter 1 has no gradient at step 1; parameter 2 never has one.
            var grads = Shapes.Select((s, i) => i == 2 || (i == 1 && step == 1) ? null : Rand.Uniform(Length(s), 500 + (31 * step) + i, -2f, 2f)).ToArray();
            hostFlag.CopyFrom([Flagged[step] ? 1f : 0f]);
            portableFlag.CopyFrom([Flagged[step] ? 1f : 0f]);
            SetGradients(hostParameters, grads);
            SetGradients(portableParameters, grads);
            long before = host.Activity.KernelLaunches;
            hostOptimizer.Step(hostFlag);
            Assert.Equal(1, host.Activity.KernelLaunches - before);
            portableOptimizer.Step(portableFlag);
        }
        for (int i = 0; i < Shapes.Length; i++) Assert.Equal(portableParameters[i].ToArray(), hostParameters[i].ToArray());
        var hostState = hostOptimizer.State().ToList();
        var portableState = portableOptimizer.State().ToList();
        Assert.Equal(portableState.Select(kv => kv.Key), hostState.Select(kv => kv.Key));
        for (int i = 0; i < hostState.Count; i++) Assert.Equal(portableState[i].Value.ToArray(), hostState[i].Value.ToArray());
        Assert.Equal(Flagged.Count(f => !f), hostOptimizer.StepCount);
        Assert.Equal(Flagged.Count(f => !f), portableOptimizer.StepCount);
        if (method == "adamw")
            Assert.Equal([4f, 3f, 0f, 4f, 4f], hostState.Single(kv => kv.Key == "param_steps").Value.ToArray());
        foreach (var p in hostParameters.Concat(portableParameters)) p.Dispose();
        hostOptimizer.Dispose();
        portableOptimizer.Dispose();
        hostFlag.Dispose();
        portableFlag.Dispose();
    }

    /// <summary>
    /// The fused SGD step against a hand-computed update: p = 1, g = 2, momentum 0.5, weight decay 0.25, lr 0.1 gives
    /// d = 2.25, buf = 2.25, p = 0.775; at the second step (g = 2 again) d = 2.19375, buf = 1.125 + 2.19375 = 3.31875,
    /// p = 0.775 − 0.331875 = 0.443125.
    /// </summary>
    [Fact]
    public void Fused_sgd_matches_a_hand_computed_update()
    {
        var device = fixture.Device;
        Tensor p;
        using (TensorScope.Suspend()) p = Tensor.FromArray(device, [1f, 1f, 1f], 3).RequireGrad();
        using var sgd = new Sgd([p], 0.1f, momentum: 0.5f, weightDecay: 0.25f);
        for (int step = 0; step < 2; step++)
        {
            using (TensorScope.Suspend()) p.Grad = Tensor.FromArray(device, [2f, 2f, 2f], 3);
            sgd.Step();
            sgd.ZeroGrad();
        }
        foreach (var x in p.ToArray()) Assert.Equal(0.443125, x, 1e-6);
        Assert.Equal(2, sgd.StepCount);
        p.Dispose();
    }

    private static (Tensor[] Parameters, Optimizer Optimizer, Tensor Flag) Make(Device device, string method)
    {
        using (TensorScope.Suspend())
        {
            var ps = Shapes.Select((s, i) => Tensor.FromArray(device, Rand.Uniform(Length(s), 90 + i), s).RequireGrad()).ToArray();
            Optimizer optimizer = method switch
            {
                "sgd" => new Sgd(ps, 0.1f, weightDecay: 0.05f),
                "sgd-momentum" => new Sgd(ps, 0.1f, momentum: 0.9f, weightDecay: 0.05f),
                "sgd-nesterov" => new Sgd(ps, 0.1f, momentum: 0.8f, nesterov: true, weightDecay: 0.05f),
                _ => new AdamW(ps, 0.01f, beta1: 0.9f, beta2: 0.99f, eps: 1e-6f, weightDecay: 0.1f),
            };
            return (ps, optimizer, Tensor.Zeros(device, 1));
        }
    }

    private static void SetGradients(Tensor[] ps, float[]?[] grads)
    {
        for (int i = 0; i < ps.Length; i++)
        {
            ps[i].ClearGrad();
            using (TensorScope.Suspend())
                ps[i].Grad = grads[i] is { } g ? Tensor.FromArray(ps[i].Device, g, ps[i].ShapeArray()) : null;
        }
    }

    private static int Length(int[] shape) => shape.Aggregate(1, (a, b) => a * b);
}
