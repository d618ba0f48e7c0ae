using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Adam with decoupled weight decay, following PyTorch's <c>torch.optim.AdamW</c> (amsgrad off): with t the
/// parameter's own step count, p *= 1 − lr·wd; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
/// p −= lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + ε). One fused kernel per parameter.
/// </summary>
/// <remarks>
/// The moments ("exp_avg.{i}", "exp_avg_sq.{i}") are allocated eagerly as zeros, outside any
/// <see cref="TensorScope"/>. As in PyTorch, each parameter counts its own steps (a parameter without a gradient
/// at a step is skipped and its count does not advance); the counts are exposed as "param_steps" (one value per
/// parameter) and the number of <see cref="Step"/> calls as "step", both exact up to 2^24 steps.
/// </remarks>
public sealed class AdamW : IOptimizer, IDisposable
{
    private readonly Tensor[] parameters;
    private readonly Tensor[] expAvg;
    private readonly Tensor[] expAvgSq;
    private readonly long[] parameterSteps;
    private readonly Tensor stepTensor;
    private readonly Tensor parameterStepsTensor;
    private float learningRate;
    private long stepCount;
    private bool stepsExposed;
    private bool disposed;

    /// <summary>Creates the optimizer and its state.</summary>
    /// <param name="parameters">The tensors to update (at least one, all on one device).</param>
    /// <param name="learningRate">The step size (≥ 0).</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="eps">Added to the denominator (≥ 0).</param>
    /// <param name="weightDecay">Decoupled weight decay (≥ 0): p is multiplied by 1 − lr·wd each step.</param>
    /// <exception cref="ArgumentException">An empty or mixed-device parameter list, or an invalid hyper-parameter.</exception>
    public AdamW(IReadOnlyList<Tensor> parameters, float learningRate, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
    {
        var device = Sgd.ValidateParameters("AdamW", parameters);
        Sgd.ValidateLearningRate("AdamW", learningRate);
        if (!(beta1 >= 0f && beta1 < 1f)) throw new ArgumentException($"AdamW: beta1 must lie in [0, 1), got {beta1}.", nameof(beta1));
        if (!(beta2 >= 0f && beta2 < 1f)) throw new ArgumentException($"AdamW: beta2 must lie in [0, 1), got {beta2}.", nameof(beta2));
        if (!(eps >= 0f) || float.IsInfinity(eps)) throw new ArgumentException($"AdamW: eps must be a finite value ≥ 0, got {eps}.", nameof(eps));
        if (!(weightDecay >= 0f) || float.IsInfinity(weightDecay))
            throw new ArgumentException($"AdamW: weight decay must be a finite value ≥ 0, got {weightDecay}.", nameof(weightDecay));
        this.parameters = [.. parameters];
        this.learningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        parameterSteps = new long[this.parameters.Length];
        using (TensorScope.Suspend())
        {
            expAvg = this.parameters.Select((p, i) => Named(Tensor.Zeros(device, p.ShapeArray()), $"exp_avg.{i}")).ToArray();
            expAvgSq = this.parameters.Select((p, i) => Named(Tensor.Zeros(device, p.ShapeArray()), $"exp_avg_sq.{i}")).ToArray();
            stepTensor = Named(Tensor.Zeros(device, 1), "step");
            parameterStepsTensor = Named(Tensor.Zeros(device, this.parameters.Length), "param_steps");
        }
    }

    /// <inheritdoc />
    public float LearningRate
    {
        get => learningRate;
        set
        {
            Sgd.ValidateLearningRate("AdamW", value);
            learningRate = value;
        }
    }

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the denominator.</summary>
    public float Eps { get; }

    /// <summary>The decoupled weight decay.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => parameters;

    /// <inheritdoc />
    /// <remarks>Setting it also sets every parameter's own step count to the same value.</remarks>
    public long StepCount
    {
        get
        {
            SyncSteps();
            return stepCount;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            stepsExposed = false;
            stepCount = value;
            Array.Fill(parameterSteps, value);
        }
    }

    /// <inheritdoc />
    public void Step()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        SyncSteps();
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var g = p.Grad;
            if (g is null) continue;
            if (g.Length != p.Length)
                throw new InvalidOperationException($"AdamW: gradient {Tensor.Format(g.Shape)} does not match parameter {i} {Tensor.Format(p.Shape)}.");
            long t = ++parameterSteps[i];
            double lr = learningRate;
            double biasCorrection1 = 1.0 - Math.Pow(Beta1, t);
            double biasCorrection2 = 1.0 - Math.Pow(Beta2, t);
            OptimizerKernels.AdamW(p.Device, p.View, g.View, expAvg[i].View, expAvgSq[i].View,
                decay: (float)(1.0 - lr * WeightDecay), beta1: Beta1, beta2: Beta2,
                stepSize: (float)(lr / biasCorrection1), biasCorrection2Sqrt: (float)Math.Sqrt(biasCorrection2), eps: Eps);
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
        SyncSteps();
        stepTensor.CopyFrom([stepCount]);
        parameterStepsTensor.CopyFrom(parameterSteps.Select(s => (float)s).ToArray());
        stepsExposed = true;
        var state = new List<KeyValuePair<string, Tensor>>();
        for (int i = 0; i < parameters.Length; i++) state.Add(new($"exp_avg.{i}", expAvg[i]));
        for (int i = 0; i < parameters.Length; i++) state.Add(new($"exp_avg_sq.{i}", expAvgSq[i]));
        state.Add(new("param_steps", parameterStepsTensor));
        state.Add(new("step", stepTensor));
        return state;
    }

    /// <summary>Frees the state tensors (not the parameters).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in expAvg) t.Dispose();
        foreach (var t in expAvgSq) t.Dispose();
        stepTensor.Dispose();
        parameterStepsTensor.Dispose();
    }

    /// <summary>Reads the step counts back after <see cref="State"/> handed out their tensors (a loader may have written them).</summary>
    private void SyncSteps()
    {
        if (!stepsExposed || disposed) return;
        stepsExposed = false;
        stepCount = (long)Math.Round(stepTensor.Item());
        var steps = parameterStepsTensor.ToArray();
        for (int i = 0; i < steps.Length; i++) parameterSteps[i] = (long)Math.Round(steps[i]);
    }

    private static Tensor Named(Tensor t, string name)
    {
        t.Name = name;
        return t;
    }
}
