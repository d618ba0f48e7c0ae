namespace IlgpuSnn.Estimators;

/// <summary>
/// Which loss reductions each method can train with, checked before any data is touched. Every loss kind (CE, MSE,
/// CE + λ·MSE) works with every method; the reduction over time is what a method may refuse: the methods that
/// back-propagate (or update) step by step have no ō until the last step, so they train on the per-step loss only.
/// </summary>
public static class LossSupport
{
    /// <summary>Throws one clear line when <paramref name="estimator"/> cannot train with <paramref name="reduction"/>.</summary>
    /// <param name="estimator">The method.</param>
    /// <param name="reduction">The loss reduction asked for.</param>
    /// <exception cref="ArgumentException">The method needs the other reduction; the message names the methods that take this one.</exception>
    public static void Require(IGradientEstimator estimator, LossReduction reduction)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        if (estimator.RequiredReduction is not { } required || required == reduction) return;
        throw new ArgumentException(
            $"{estimator.Name} cannot train on the {Describe(reduction)} loss: it back-propagates one time step at a time and needs the " +
            $"{Describe(required)} loss. Methods that take the {Describe(reduction)} loss: {string.Join(", ", Accepting(reduction))}.");
    }

    /// <summary>The method names (of <see cref="EstimatorFactory.Names"/>) that can train with <paramref name="reduction"/>.</summary>
    /// <param name="reduction">The loss reduction.</param>
    /// <returns>The names, in the documentation's order.</returns>
    public static IReadOnlyList<string> Accepting(LossReduction reduction) => EstimatorFactory.Names.Where(name =>
    {
        using var method = EstimatorFactory.Create(name, new EstimatorOptions { K = 1 });
        return method.RequiredReduction is null || method.RequiredReduction == reduction;
    }).ToList();

    /// <summary>The reduction as the command line and the documentation name it.</summary>
    /// <param name="reduction">The loss reduction.</param>
    /// <returns>"per-step" or "mean-output".</returns>
    public static string Describe(LossReduction reduction) => reduction == LossReduction.PerStep ? "per-step" : "mean-output";
}
