namespace IlgpuSnn.Estimators;

/// <summary>Creates estimators by their command-line names.</summary>
public static class EstimatorFactory
{
    /// <summary>Every estimator name, in the order of the documentation.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["bptt", "tt-lbptt", "sltt", "sltt-k", "ottt-a", "ottt-o", "saf-e", "saf-f", "ratebp"];

    /// <summary>Creates the estimator called <paramref name="name"/>.</summary>
    /// <param name="name">One of <see cref="Names"/> (case and surrounding blanks ignored).</param>
    /// <param name="options">Method-specific settings; each method reads only its own.</param>
    /// <returns>A new estimator; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">Unknown name or missing option; the message lists the valid names.</exception>
    public static IGradientEstimator Create(string name, EstimatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var o = options ?? new EstimatorOptions();
        var method = name.Trim().ToLowerInvariant();
        if (method is not ("bptt" or "tt-lbptt" or "ratebp") && Names.Contains(method) && o.BatchNormStats == BatchNormStatistics.Folded)
            throw new ArgumentException($"{method}: BatchNorm statistics are per step (the method runs one step at a time); folded statistics are available with bptt, tt-lbptt and ratebp.");
        var bn = o.BatchNormStats ?? BatchNormStatistics.Folded;
        return method switch
        {
            "bptt" => new Bptt { BatchNormStats = bn },
            "tt-lbptt" => new TruncatedLocalBptt(o.Window ?? int.MaxValue, o.Blocks, o.PerWindowUpdate, TruncatedLocalBptt.HeadFactory(o.AuxiliaryHead)) { BatchNormStats = bn },
            "sltt" => new Sltt(),
            "sltt-k" when o.KSet is { } set => new Sltt(set.Select(s => s - 1).ToArray()),
            "sltt-k" => new Sltt(o.K ?? throw new ArgumentException("sltt-k needs K (--k) or a k_set.")),
            "ottt-a" => new Ottt(online: false, o.AllTrace),
            "ottt-o" => new Ottt(online: true, o.AllTrace),
            "saf-e" => new Saf(final: false),
            "saf-f" => new Saf(final: true),
            "ratebp" => new RateBp(o.OfficialScale) { BatchNormStats = bn },
            _ => throw new ArgumentException($"Unknown estimator '{name}'. Valid names: {string.Join(", ", Names)}."),
        };
    }
}
