using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>Optimizer updates of a parameter in place (never recorded on a tape); none of them when skip[0] ≠ 0.</summary>
public static partial class Ops
{
    /// <summary>One SGD step (coupled L2 decay, optional momentum and Nesterov) on <paramref name="parameter"/>.</summary>
    internal static void SgdUpdate(Tensor parameter, Tensor gradient, Tensor? momentumBuffer, Tensor? skip, float learningRate, float momentum,
        bool nesterov, float weightDecay) =>
        OptimizerKernels.Sgd(parameter.Device, parameter.View, gradient.View, momentumBuffer is null ? default : momentumBuffer.View, skip?.View,
            learningRate, momentum, nesterov, weightDecay);

    /// <summary>One AdamW step on <paramref name="parameter"/> with its moment estimates and its step count steps[index] on the device.</summary>
    internal static void AdamWUpdate(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, Tensor steps, Tensor increments, int index,
        Tensor? skip, float learningRate, float decay, float beta1, float beta2, float eps) =>
        OptimizerKernels.AdamW(parameter.Device, parameter.View, gradient.View, expAvg.View, expAvgSq.View, steps.View, increments.View, index,
            skip?.View, learningRate, decay, beta1, beta2, eps);

    /// <summary>
    /// A whole SGD step (every update, then stepCount[0] += 1) in one launch where the device has the host-pointer form
    /// (the CPU accelerator); false, having done nothing, elsewhere.
    /// </summary>
    internal static bool TrySgdStepFused(IReadOnlyList<(Tensor Parameter, Tensor Gradient, Tensor? MomentumBuffer)> updates, Tensor? skip, Tensor stepCount,
        float learningRate, float momentum, bool nesterov, float weightDecay)
    {
        if (!stepCount.Device.Launch.UseHostKernels) return false;
        var table = new HostUpdate[updates.Count];
        for (int i = 0; i < table.Length; i++)
        {
            var (p, g, buffer) = updates[i];
            table[i] = new HostUpdate(p.View, g.View, buffer is null ? default : buffer.View, default, 0);
        }
        OptimizerKernels.HostStep(stepCount.Device, table, OptimizerKernels.SgdMethod, skip?.View, stepCount.View, default,
            new HostStepSettings(learningRate, momentum, weightDecay, 0f, 0f, momentum != 0f ? 1 : 0, nesterov ? 1 : 0));
        return true;
    }

    /// <summary>
    /// A whole AdamW step (every update with t = counts[slot] + 1, then stepCount[0] += 1 and counts[slot] += 1 for each
    /// updated parameter) in one launch where the device has the host-pointer form (the CPU accelerator); false, having
    /// done nothing, elsewhere.
    /// </summary>
    internal static bool TryAdamWStepFused(IReadOnlyList<(int Slot, Tensor Parameter, Tensor Gradient, Tensor ExpAvg, Tensor ExpAvgSq)> updates, Tensor counts,
        Tensor? skip, Tensor stepCount, float learningRate, float decay, float beta1, float beta2, float eps)
    {
        if (!stepCount.Device.Launch.UseHostKernels) return false;
        var table = new HostUpdate[updates.Count];
        for (int i = 0; i < table.Length; i++)
        {
            var (slot, p, g, m, v) = updates[i];
            table[i] = new HostUpdate(p.View, g.View, m.View, v.View, slot);
        }
        OptimizerKernels.HostStep(stepCount.Device, table, OptimizerKernels.AdamWMethod, skip?.View, stepCount.View, counts.View,
            new HostStepSettings(learningRate, decay, beta1, beta2, eps, 0, 0));
        return true;
    }

    /// <summary>
    /// Ends an optimizer step on the device: unless skip[0] ≠ 0, stepCount[0] += 1; counts[i] += increments[i] and
    /// increments[i] = 0 when per-parameter counters are given.
    /// </summary>
    internal static void CommitOptimizerStep(Tensor? skip, Tensor stepCount, Tensor? counts, Tensor? increments) =>
        OptimizerKernels.CommitStep(stepCount.Device, skip?.View, stepCount.View, counts?.View ?? default, increments?.View ?? default);

    /// <summary>On the device: counter[0] += 1 when flag[0] ≠ 0, then flag[0] = 0.</summary>
    internal static void CountFlagAndClear(Tensor flag, Tensor counter) =>
        OptimizerKernels.CountAndClear(flag.Device, flag.View, counter.View);
}
