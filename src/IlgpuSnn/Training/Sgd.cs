using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Stochastic gradient descent with optional momentum, Nesterov momentum and (coupled) weight decay, following
/// PyTorch's <c>torch.optim.SGD</c> (dampening 0): d = g + wd·p; buf = momentum·buf + d (buf = d at the first
/// step); d = nesterov ? d + momentum·buf : buf; p −= lr·d. One fused kernel per parameter.
/// </summary>
/// <remarks>
/// The momentum buffers ("momentum.{i}") are allocated eagerly as zeros, outside any <see cref="TensorScope"/>;
/// with a zero buffer the first update gives buf = d exactly, as PyTorch does. The step count is exposed as the
/// one-element tensor "step" (exact up to 2^24 steps).
/// </remarks>
public sealed class Sgd : IOptimizer, IDisposable
{
    private readonly Tensor[] parameters;
    private readonly Tensor[] momentumBuffers;
    private readonly Tensor stepTensor;
    private float learningRate;
    private long stepCount;
    private bool stepExposed;
    private bool disposed;

    /// <summary>Creates the optimizer and its state.</summary>
    /// <param name="parameters">The tensors to update (at least one, all on one device).</param>
    /// <param name="learningRate">The step size (≥ 0).</param>
    /// <param name="momentum">The momentum factor (≥ 0; 0 disables the buffers).</param>
    /// <param name="nesterov">Use Nesterov momentum (requires momentum &gt; 0).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient (≥ 0).</param>
    /// <exception cref="ArgumentException">An empty or mixed-device parameter list, or an invalid hyper-parameter.</exception>
    public Sgd(IReadOnlyList<Tensor> parameters, float learningRate, float momentum = 0f, bool nesterov = false, float weightDecay = 0f)
    {
        var device = ValidateParameters("Sgd", parameters);
        ValidateLearningRate("Sgd", learningRate);
        if (!(momentum >= 0f) || float.IsInfinity(momentum))
            throw new ArgumentException($"Sgd: momentum must be a finite value ≥ 0, got {momentum}.", nameof(momentum));
        if (!(weightDecay >= 0f) || float.IsInfinity(weightDecay))
            throw new ArgumentException($"Sgd: weight decay must be a finite value ≥ 0, got {weightDecay}.", nameof(weightDecay));
        if (nesterov && momentum == 0f)
            throw new ArgumentException("Sgd: Nesterov momentum requires a momentum > 0.", nameof(nesterov));
        this.parameters = [.. parameters];
        this.learningRate = learningRate;
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        using (TensorScope.Suspend())
        {
            momentumBuffers = momentum == 0f
                ? []
                : this.parameters.Select((p, i) =>
                {
                    var b = Tensor.Zeros(device, p.ShapeArray());
                    b.Name = $"momentum.{i}";
                    return b;
                }).ToArray();
            stepTensor = Tensor.Zeros(device, 1);
            stepTensor.Name = "step";
        }
    }

    /// <inheritdoc />
    public float LearningRate
    {
        get => learningRate;
        set
        {
            ValidateLearningRate("Sgd", value);
            learningRate = value;
        }
    }

    /// <summary>The momentum factor.</summary>
    public float Momentum { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>The (coupled, L2) weight decay.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => parameters;

    /// <inheritdoc />
    public long StepCount
    {
        get
        {
            SyncStep();
            return stepCount;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            stepCount = value;
            stepExposed = false;
        }
    }

    /// <inheritdoc />
    public void Step()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        SyncStep();
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var g = p.Grad;
            if (g is null) continue;
            if (g.Length != p.Length)
                throw new InvalidOperationException($"Sgd: gradient {Tensor.Format(g.Shape)} does not match parameter {i} {Tensor.Format(p.Shape)}.");
            OptimizerKernels.Sgd(p.Device, p.View, g.View, Momentum == 0f ? default : momentumBuffers[i].View,
                learningRate, Momentum, Nesterov, WeightDecay);
        }
        stepCount++;
    }

    /// <inheritdoc />
    public void ZeroGrad()
    {
        foreach (var p in parameters)
        {
            var g = p.Grad;
            p.Grad = null;
            g?.Dispose();
        }
    }

    /// <inheritdoc />
    public IEnumerable<KeyValuePair<string, Tensor>> State()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        SyncStep();
        stepTensor.CopyFrom([stepCount]);
        stepExposed = true;
        var state = new List<KeyValuePair<string, Tensor>>();
        for (int i = 0; i < momentumBuffers.Length; i++) state.Add(new($"momentum.{i}", momentumBuffers[i]));
        state.Add(new("step", stepTensor));
        return state;
    }

    /// <summary>Frees the state tensors (not the parameters).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var b in momentumBuffers) b.Dispose();
        stepTensor.Dispose();
    }

    /// <summary>Reads the step count back after <see cref="State"/> handed out its tensor (a loader may have written it).</summary>
    private void SyncStep()
    {
        if (!stepExposed || disposed) return;
        stepExposed = false;
        stepCount = (long)Math.Round(stepTensor.Item());
    }

    internal static Device ValidateParameters(string optimizer, IReadOnlyList<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0) throw new ArgumentException($"{optimizer}: the parameter list is empty.", nameof(parameters));
        Device? device = null;
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i] ?? throw new ArgumentException($"{optimizer}: parameter {i} is null.", nameof(parameters));
            if (p.IsDisposed) throw new ArgumentException($"{optimizer}: parameter {i} {Tensor.Format(p.Shape)} was disposed.", nameof(parameters));
            device ??= p.Device;
            if (!ReferenceEquals(device, p.Device))
                throw new ArgumentException($"{optimizer}: parameters live on different devices ({device.Info.Id} and {p.Device.Info.Id}).", nameof(parameters));
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(parameters[j], p))
                    throw new ArgumentException($"{optimizer}: parameter {i} {Tensor.Format(p.Shape)} appears twice.", nameof(parameters));
        }
        return device!;
    }

    internal static void ValidateLearningRate(string optimizer, float learningRate)
    {
        if (!(learningRate >= 0f) || float.IsInfinity(learningRate))
            throw new ArgumentException($"{optimizer}: the learning rate must be a finite value ≥ 0, got {learningRate}.", nameof(learningRate));
    }
}
