namespace IlgpuSnn.Neurons;

/// <summary>
/// The device-side contract of a surrogate gradient, implemented by a struct that holds its shape parameter and
/// compiled into the fused kernels as a type parameter. The forward spike stays H(z); the backward uses
/// <see cref="Derivative"/>. Plain float arithmetic only (ILGPU compiles it for the CPU, PTX and OpenCL); public, with blittable fields
/// (float, int; not bool).
/// </summary>
public interface ISurrogateGradient
{
    /// <summary>σ'(z) at z = u − Vth.</summary>
    /// <param name="z">The distance of the pre-reset potential above the threshold.</param>
    /// <returns>The surrogate derivative.</returns>
    float Derivative(float z);

    /// <summary>
    /// The step function rising from 0 to 1 whose derivative is <see cref="Derivative"/> (host use, e.g. tests and
    /// plots; it is never called by a kernel, so it may use any math function).
    /// </summary>
    /// <param name="z">The distance of the pre-reset potential above the threshold.</param>
    /// <returns>The primitive's value.</returns>
    float Primitive(float z);
}
