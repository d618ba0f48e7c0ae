using IlgpuSnn.Estimators;

namespace IlgpuSnn.Cli;

/// <summary>The values of tt-lbptt's command-line options, shared by `snn train` and `snn compare`.</summary>
internal static class TtLbpttOptions
{
    /// <summary>--update: whether the optimizer steps after every window.</summary>
    public static bool PerWindow(string value) => value switch
    {
        "accumulated" => false,
        "per-window" => true,
        _ => throw new ArgumentException($"Unknown --update '{value}'. Valid: accumulated, per-window."),
    };

    /// <summary>--aux-head: the auxiliary classifier of the non-final blocks.</summary>
    public static AuxiliaryHead Head(string value) => value switch
    {
        "pool-linear" => AuxiliaryHead.PoolLinear,
        "linear" => AuxiliaryHead.Linear,
        _ => throw new ArgumentException($"Unknown --aux-head '{value}'. Valid: pool-linear, linear."),
    };
}
