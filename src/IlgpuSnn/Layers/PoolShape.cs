using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>Output shape of a 2-D pooling window without padding.</summary>
internal static class PoolShape
{
    public static int[] Of(string layer, int[] inputShape, int kernel, int stride)
    {
        if (inputShape.Length != 3 || inputShape[1] < kernel || inputShape[2] < kernel)
            throw new ArgumentException($"{layer}: expects per-sample input [C, H, W] with H, W >= {kernel}, got {Tensor.Format(inputShape)}.");
        return [inputShape[0], (inputShape[1] - kernel) / stride + 1, (inputShape[2] - kernel) / stride + 1];
    }
}
