using IlgpuSnn.Data;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Data;

public sealed class EncoderTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    [Fact]
    public void Direct_repeats_the_frame_every_step()
    {
        var x = Rand.Uniform(2 * 3 * 4 * 5, 11, 0f, 1f);
        using var scope = TensorScope.Begin();
        var images = Tensor.FromArray(D, x, 2, 3, 4, 5);
        var y = new DirectEncoder().Encode(images, 6, seed: 0);
        Assert.Equal([6, 2, 3, 4, 5], y.ShapeArray());
        var values = y.ToArray();
        for (int t = 0; t < 6; t++)
            for (int i = 0; i < x.Length; i++)
                Assert.Equal(x[i], values[t * x.Length + i]);
    }

    /// <summary>
    /// Both forms of the repeat (the CPU accelerator's block copies and the portable kernel GPUs run) on frames whose
    /// copies the workers split mid-frame (odd lengths and step counts).
    /// </summary>
    [Theory]
    [InlineData(7, 5, true)]
    [InlineData(7, 5, false)]
    [InlineData(1, 3, true)]
    [InlineData(1013, 3, true)]
    [InlineData(1013, 3, false)]
    public void Direct_repeat_is_exact_in_host_and_portable_form(int frame, int steps, bool hostKernels)
    {
        using var device = fixture.CreateFresh();
        device.Launch.UseHostKernels = hostKernels && device.Launch.IsCpu;
        var x = Rand.Uniform(frame, 12, -2f, 2f);
        using var scope = TensorScope.Begin();
        var values = new DirectEncoder().Encode(Tensor.FromArray(device, x, 1, 1, 1, frame), steps, seed: 0).ToArray();
        Assert.Equal(frame * steps, values.Length);
        for (int t = 0; t < steps; t++)
            for (int i = 0; i < frame; i++)
                Assert.Equal(x[i], values[t * frame + i]);
    }

    [Fact]
    public void Time_steps_must_be_positive()
    {
        using var scope = TensorScope.Begin();
        var images = Tensor.Zeros(D, 1, 1, 2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DirectEncoder().Encode(images, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PoissonEncoder().Encode(images, -1, 0));
    }

    private static readonly float[] Intensities = [0f, 0.05f, 0.25f, 0.5f, 0.8f, 1f, -0.3f, 1.7f];

    private float[] EncodePoisson(int copies, int steps, ulong seed, out float[] input)
    {
        // [B = copies, C = 1, H = 1, W = 8]: each column has one intensity.
        input = new float[copies * Intensities.Length];
        for (int i = 0; i < input.Length; i++) input[i] = Intensities[i % Intensities.Length];
        using var scope = TensorScope.Begin();
        var images = Tensor.FromArray(D, input, copies, 1, 1, Intensities.Length);
        var y = new PoissonEncoder().Encode(images, steps, seed);
        Assert.Equal([steps, copies, 1, 1, Intensities.Length], y.ShapeArray());
        return y.ToArray();
    }

    [Fact]
    public void Poisson_spikes_are_binary_with_rate_equal_to_clamped_intensity()
    {
        const int copies = 64, steps = 400;
        var y = EncodePoisson(copies, steps, seed: 1234, out var input);
        Assert.All(y, v => Assert.True(v == 0f || v == 1f, $"value {v} is not a spike"));
        var counts = new double[Intensities.Length];
        for (int i = 0; i < y.Length; i++) counts[i % Intensities.Length] += y[i];
        int trials = copies * steps;
        for (int k = 0; k < Intensities.Length; k++)
        {
            double p = Math.Clamp(Intensities[k], 0, 1);
            double rate = counts[k] / trials;
            if (p == 0 || p == 1) Assert.Equal(p, rate);
            else Assert.True(Math.Abs(rate - p) < 5 * Math.Sqrt(p * (1 - p) / trials), $"intensity {p}: rate {rate}");
        }
    }

    [Fact]
    public void Poisson_elements_and_steps_are_independent()
    {
        // Joint firing of two p = 0.5 elements (neighbours, and the same element at consecutive steps) ~ 0.25.
        const int copies = 64, steps = 400;
        var y = EncodePoisson(copies, steps, seed: 99, out _);
        int n = copies * Intensities.Length, half = 3; // column 3 has intensity 0.5
        double both = 0, consecutive = 0, pairs = 0, stepPairs = 0;
        for (int t = 0; t < steps; t++)
            for (int b = 0; b + 1 < copies; b++)
            {
                float a = y[t * n + b * Intensities.Length + half], c = y[t * n + (b + 1) * Intensities.Length + half];
                both += a * c;
                pairs++;
                if (t + 1 < steps)
                {
                    consecutive += a * y[(t + 1) * n + b * Intensities.Length + half];
                    stepPairs++;
                }
            }
        Assert.InRange(both / pairs, 0.235, 0.265);
        Assert.InRange(consecutive / stepPairs, 0.235, 0.265);
    }

    [Fact]
    public void Poisson_is_reproducible_for_a_seed_and_differs_between_seeds()
    {
        var a = EncodePoisson(8, 20, seed: 7, out _);
        var b = EncodePoisson(8, 20, seed: 7, out _);
        var c = EncodePoisson(8, 20, seed: 8, out _);
        Assert.Equal(a, b);
        int differ = a.Zip(c).Count(p => p.First != p.Second);
        Assert.True(differ > a.Length / 10, $"only {differ} of {a.Length} spikes differ between seeds 7 and 8");
    }

    [Fact]
    public void Poisson_matches_the_documented_counter_hash_bit_for_bit()
    {
        // Host re-implementation of the documented formula: the same spikes must come out on every device.
        static ulong Mix(ulong z)
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        const ulong seed = 0xDEADBEEF12345UL;
        var x = Rand.Uniform(2 * 3 * 5, 17, -0.2f, 1.2f);
        using var scope = TensorScope.Begin();
        var y = new PoissonEncoder().Encode(Tensor.FromArray(D, x, 2, 3, 1, 5), 7, seed).ToArray();
        for (int t = 0; t < 7; t++)
            for (int e = 0; e < x.Length; e++)
            {
                ulong h = Mix(Mix(seed ^ Mix((ulong)t)) ^ (ulong)e);
                double u = (h >> 40) / 16777216.0;
                float expected = u < Math.Clamp(x[e], 0f, 1f) ? 1f : 0f;
                Assert.True(expected == y[t * x.Length + e], $"step {t}, element {e}");
            }
    }
}
