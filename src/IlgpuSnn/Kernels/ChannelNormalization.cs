using ILGPU;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The layout of an optional per-channel normalisation a neuron sequence kernel applies to its input as it reads it:
/// BatchNorm's y = γ[c]·((x − μ[c])·ρ[c]) + β[c] (<see cref="NeuronElements.Normalize"/>), so that a BatchNorm directly
/// followed by neurons never writes y (nor x̂). The per-channel values lie in one table [4, C], planes
/// <see cref="MeanPlane"/> μ, <see cref="InvStdPlane"/> ρ = 1/sqrt(σ² + ε), <see cref="GammaPlane"/> γ and
/// <see cref="BetaPlane"/> β. The input is BatchNorm's [T·B, C, S] (S = H·W, or 1), so neuron i of a step of
/// N = B·C·S neurons is in channel (i / S) mod C at every step. <see cref="Channels"/> = 0: no normalisation (the input
/// is the current itself).
/// </summary>
internal readonly struct ChannelNormalization
{
    /// <summary>The planes of the table [4, C].</summary>
    internal const int MeanPlane = 0, InvStdPlane = 1, GammaPlane = 2, BetaPlane = 3, Planes = 4;

    /// <summary>The layout of a normalisation over <paramref name="channels"/> channels of <paramref name="spatial"/> positions.</summary>
    public ChannelNormalization(int channels, int spatial)
    {
        Channels = channels;
        Spatial = spatial;
    }

    /// <summary>No normalisation.</summary>
    public static ChannelNormalization None => default;

    /// <summary>Channels C (0: no normalisation).</summary>
    public readonly int Channels;

    /// <summary>Positions per channel plane S.</summary>
    public readonly int Spatial;

    /// <summary>Whether the input is normalised.</summary>
    public bool Enabled => Channels > 0;

    /// <summary>The channel of neuron <paramref name="i"/> of a step.</summary>
    public int ChannelOf(long i) => (int)(i / Spatial % Channels);

    /// <summary>The current of neuron <paramref name="i"/> for input <paramref name="x"/>: x itself, or its normalisation with the table's values.</summary>
    public float Current(ArrayView<float> table, long i, float x)
    {
        if (!Enabled) return x;
        int c = ChannelOf(i);
        return NeuronElements.Normalize(x, table[MeanPlane * Channels + c], table[InvStdPlane * Channels + c],
            table[GammaPlane * Channels + c], table[BetaPlane * Channels + c]);
    }

    /// <summary>The host-pointer form of <see cref="Current(ArrayView{float}, long, float)"/>.</summary>
    public unsafe float Current(float* table, long i, float x)
    {
        if (!Enabled) return x;
        int c = ChannelOf(i);
        return NeuronElements.Normalize(x, table[MeanPlane * Channels + c], table[InvStdPlane * Channels + c],
            table[GammaPlane * Channels + c], table[BetaPlane * Channels + c]);
    }
}
