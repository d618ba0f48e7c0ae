namespace IlgpuSnn.Neurons;

/// <summary>How the membrane potential is reset after a spike.</summary>
public enum ResetMode
{
    /// <summary>Reset by subtraction: v = u − Vth·s.</summary>
    Soft = 0,

    /// <summary>Reset to zero: v = u·(1 − s).</summary>
    Hard = 1,
}
