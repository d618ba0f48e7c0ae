using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data;

/// <summary>Argument checks and output allocation shared by the encoders.</summary>
internal static class EncoderShapes
{
    public static Tensor Allocate(string operation, Tensor images, int timeSteps)
    {
        ArgumentNullException.ThrowIfNull(images);
        Check.Alive(operation, images);
        if (timeSteps <= 0)
            throw new ArgumentOutOfRangeException(nameof(timeSteps), $"{operation}: time steps must be positive, got {timeSteps} (input {Tensor.Format(images.Shape)}).");
        var shape = new int[images.Rank + 1];
        shape[0] = timeSteps;
        for (int i = 0; i < images.Rank; i++) shape[i + 1] = images.Shape[i];
        return Tensor.Empty(images.Device, shape);
    }
}
