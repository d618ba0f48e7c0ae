using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data;

/// <summary>
/// Turns static inputs into a time-first sequence for a spiking network: images [B, C, H, W] become
/// [T, B, C, H, W] on the same device.
/// </summary>
public interface IEncoder
{
    /// <summary>Encodes <paramref name="images"/> into <paramref name="timeSteps"/> steps, time first.</summary>
    /// <param name="images">The input, typically [B, C, H, W] with values in [0, 1].</param>
    /// <param name="timeSteps">Number of time steps T (positive).</param>
    /// <param name="seed">Seed of stochastic encoders (ignored by deterministic ones).</param>
    /// <returns>A new tensor [T, ...images.Shape] (owned by the current <see cref="TensorScope"/>, if any).</returns>
    Tensor Encode(Tensor images, int timeSteps, ulong seed);
}
