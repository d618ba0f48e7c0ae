using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>Optimizer updates of a parameter in place (never recorded on a tape).</summary>
public static partial class Ops
{
    /// <summary>One SGD step (coupled L2 decay, optional momentum and Nesterov) on <paramref name="parameter"/>.</summary>
    internal static void SgdUpdate(Tensor parameter, Tensor gradient, Tensor? momentumBuffer, float learningRate, float momentum, bool nesterov, float weightDecay) =>
        OptimizerKernels.Sgd(parameter.Device, parameter.View, gradient.View, momentumBuffer is null ? default : momentumBuffer.View,
            learningRate, momentum, nesterov, weightDecay);

    /// <summary>One AdamW step on <paramref name="parameter"/> with its moment estimates.</summary>
    internal static void AdamWUpdate(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, float decay, float beta1, float beta2,
        float stepSize, float biasCorrection2Sqrt, float eps) =>
        OptimizerKernels.AdamW(parameter.Device, parameter.View, gradient.View, expAvg.View, expAvgSq.View, decay, beta1, beta2,
            stepSize, biasCorrection2Sqrt, eps);
}
