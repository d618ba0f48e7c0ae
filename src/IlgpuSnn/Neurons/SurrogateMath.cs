namespace IlgpuSnn.Neurons;

/// <summary>
/// The single definition of every surrogate: host code (<see cref="Surrogate.Derivative(float)"/>) and device
/// kernels call the same static methods. Written with if-chains and plain float math so that it compiles for the
/// CPU, PTX and OpenCL backends.
/// </summary>
public static class SurrogateMath
{
    private const float HalfPi = 1.57079632679489662f;
    private const float InvPi = 0.318309886183790672f;

    /// <summary>The surrogate derivative σ'(z) at z = u − Vth.</summary>
    /// <param name="kind">A <see cref="SurrogateKind"/> value as an integer.</param>
    /// <param name="alpha">The surrogate's shape parameter α (positive).</param>
    /// <param name="z">The distance of the pre-reset potential above the threshold.</param>
    public static float Derivative(int kind, float alpha, float z)
    {
        if (kind == (int)SurrogateKind.Sigmoid)
        {
            float sg = 1f / (1f + MathF.Exp(-alpha * z));
            return alpha * sg * (1f - sg);
        }
        if (kind == (int)SurrogateKind.Triangle)
        {
            float az = z < 0f ? -z : z;
            float d = alpha - alpha * alpha * az;
            return d > 0f ? d : 0f;
        }
        if (kind == (int)SurrogateKind.Rectangle)
        {
            float az = z < 0f ? -z : z;
            return az <= 0.5f * alpha ? 1f / alpha : 0f;
        }
        float k = HalfPi * alpha * z;
        return alpha / (2f * (1f + k * k));
    }

    /// <summary>
    /// The smooth (or piecewise-linear) step whose derivative is <see cref="Derivative"/>: it rises from 0 to 1.
    /// Host use only (it calls <see cref="MathF.Atan"/>).
    /// </summary>
    /// <param name="kind">A <see cref="SurrogateKind"/> value as an integer.</param>
    /// <param name="alpha">The surrogate's shape parameter α (positive).</param>
    /// <param name="z">The distance of the pre-reset potential above the threshold.</param>
    public static float Primitive(int kind, float alpha, float z)
    {
        if (kind == (int)SurrogateKind.Sigmoid) return 1f / (1f + MathF.Exp(-alpha * z));
        if (kind == (int)SurrogateKind.Triangle)
        {
            float w = 1f / alpha;
            float c = z < -w ? -w : (z > w ? w : z);
            float ac = c < 0f ? -c : c;
            return 0.5f + alpha * c - 0.5f * alpha * alpha * c * ac;
        }
        if (kind == (int)SurrogateKind.Rectangle)
        {
            float r = z / alpha + 0.5f;
            return r < 0f ? 0f : (r > 1f ? 1f : r);
        }
        return 0.5f + MathF.Atan(HalfPi * alpha * z) * InvPi;
    }
}
