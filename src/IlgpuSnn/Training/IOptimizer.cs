using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Updates a fixed list of parameter tensors in place from their accumulated <see cref="Tensor.Grad"/>.
/// Parameters whose gradient is null at a step are skipped. Implementations are also <see cref="IDisposable"/>
/// (they own their state tensors).
/// </summary>
public interface IOptimizer : IDisposable
{
    /// <summary>The learning rate used by the next <see cref="Step()"/> (a schedule sets it before each step).</summary>
    float LearningRate { get; set; }

    /// <summary>The parameters, in the order given to the constructor (state names use these indices).</summary>
    IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>
    /// Number of completed <see cref="Step()"/> calls. Setting it (e.g. when resuming) changes only the counter,
    /// not the state tensors.
    /// </summary>
    long StepCount { get; set; }

    /// <summary>Applies one update to every parameter that has a gradient, then increments <see cref="StepCount"/>.</summary>
    void Step();

    /// <summary>
    /// Applies one update unless <paramref name="skip"/>[0] ≠ 0 (a one-element flag on the parameters' device, e.g. set
    /// by a non-finite scan of the gradients); a skipped step changes nothing and is not counted. The built-in
    /// optimizers decide on the device without waiting for it; this default reads the flag back (one synchronisation).
    /// </summary>
    /// <param name="skip">The flag.</param>
    void Step(Tensor skip)
    {
        ArgumentNullException.ThrowIfNull(skip);
        if (skip.Item() == 0f) Step();
    }

    /// <summary>Drops the gradients of all parameters (sets them to null, like PyTorch's <c>set_to_none=True</c>).</summary>
    void ZeroGrad();

    /// <summary>
    /// The named state tensors for checkpoints (e.g. "momentum.{i}", "exp_avg.{i}", and "step", the step count as a
    /// one-element tensor). The tensors belong to the optimizer: a saver reads them, a loader copies values into them
    /// (same names and shapes) and the optimizer picks the loaded values up at its next use.
    /// </summary>
    /// <returns>Name and tensor pairs, in checkpoint order.</returns>
    IEnumerable<KeyValuePair<string, Tensor>> State();
}
