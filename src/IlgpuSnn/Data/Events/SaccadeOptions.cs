namespace IlgpuSnn.Data.Events;

/// <summary>The parameters of <see cref="SaccadeConverter"/>'s camera model (defaults: N-MNIST-like 34 × 34 output for 28 × 28 images).</summary>
public sealed record SaccadeOptions
{
    /// <summary>How far the image moves (pixels); the sensor is this much larger than the image.</summary>
    public int Travel { get; init; } = 6;

    /// <summary>Length of one saccade (µs); three of them make a recording.</summary>
    public long SaccadeUs { get; init; } = 100_000;

    /// <summary>Simulation step Δt (µs).</summary>
    public long StepUs { get; init; } = 5_000;

    /// <summary>Log-intensity change that fires an event (contrast threshold C).</summary>
    public double Threshold { get; init; } = 0.25;

    /// <summary>Offset inside the logarithm, L = ln(I + ε), so black pixels have a finite log intensity.</summary>
    public double Epsilon { get; init; } = 0.1;

    /// <summary>Minimum time between two events of one pixel (µs).</summary>
    public long RefractoryUs { get; init; } = 1_000;

    internal void Validate()
    {
        if (Travel < 0 || SaccadeUs <= 0 || StepUs <= 0 || StepUs > SaccadeUs || !(Threshold > 0) || !(Epsilon > 0) || RefractoryUs < 0)
            throw new ArgumentException($"SaccadeOptions: {this} has a non-positive value (or a step longer than a saccade).");
    }
}
