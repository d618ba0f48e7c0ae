using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>Creates parameters outside any scope, initialised like PyTorch's defaults (uniform ±1/sqrt(fan_in)).</summary>
internal static class ParameterInit
{
    public static Tensor Uniform(Device device, Random rng, int fanIn, string name, params int[] shape)
    {
        float bound = 1f / MathF.Sqrt(Math.Max(fanIn, 1));
        var data = new float[Tensor.ShapeLength(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
        return Create(device, data, name, shape);
    }

    public static Tensor Constant(Device device, float value, string name, params int[] shape)
    {
        var data = new float[Tensor.ShapeLength(shape)];
        Array.Fill(data, value);
        return Create(device, data, name, shape);
    }

    public static Tensor Create(Device device, float[] data, string name, params int[] shape)
    {
        using (TensorScope.Suspend())
        {
            var t = Tensor.FromArray(device, data, shape).RequireGrad();
            t.Name = name;
            return t;
        }
    }

    public static Tensor Buffer(Device device, float value, string name, params int[] shape)
    {
        using (TensorScope.Suspend())
        {
            var t = Tensor.Full(device, value, shape);
            t.Name = name;
            return t;
        }
    }
}
