using IlgpuSnn.Data.Events;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Data.Events;

public sealed class SaccadeConverterTests
{
    [Fact]
    public void First_saccade_of_a_one_pixel_image_matches_the_hand_computed_events()
    {
        // 1x1 image of value 1 in a 2x2 sensor; one step per saccade; C = 1, ε = 0.1.
        // Start: L(0,0) = ln 1.1, elsewhere ln 0.1. After saccade 1 the offset is (1, 0.5): pixels (1,0) and (1,1) see
        // 0.5 (L − L_ref = ln 0.6 − ln 0.1 = 1.79 → one ON), pixel (0,0) sees 0 (ln 0.1 − ln 1.1 = −2.40 → two OFF,
        // at Δt/2 and Δt).
        var o = new SaccadeOptions { Travel = 1, SaccadeUs = 100_000, StepUs = 100_000, Threshold = 1, Epsilon = 0.1, RefractoryUs = 0 };
        var e = SaccadeConverter.Convert([1f], 1, 1, o);
        int n = e.Timestamps.Count(t => t <= 100_000);
        Assert.Equal([50_000L, 100_000, 100_000, 100_000], e.Timestamps[..n]);
        Assert.Equal([0, 0, 1, 1], e.X[..n]);
        Assert.Equal([0, 0, 0, 1], e.Y[..n]);
        Assert.Equal([(byte)0, (byte)0, (byte)1, (byte)1], e.Polarity[..n]);
    }

    [Fact]
    public void A_closed_loop_without_refractoriness_gives_as_many_ON_as_OFF_events_per_pixel()
    {
        var image = Rand.Uniform(28 * 28, 5, 0f, 1f);
        var e = SaccadeConverter.Convert(image, 28, 28, new SaccadeOptions { RefractoryUs = 0 });
        Assert.Equal((34, 34), (e.Width, e.Height));
        Assert.True(e.Count > 1000);
        var net = new int[34 * 34];
        for (int i = 0; i < e.Count; i++) net[e.Y[i] * 34 + e.X[i]] += e.Polarity[i] == 1 ? 1 : -1;
        Assert.All(net, v => Assert.Equal(0, v));
        Assert.InRange(e.Timestamps[^1], 1, 300_000);
    }

    [Fact]
    public void Refractory_period_spaces_each_pixels_events_and_still_images_are_silent()
    {
        var image = Rand.Uniform(10 * 10, 6, 0f, 1f);
        var e = SaccadeConverter.Convert(image, 10, 10, new SaccadeOptions { RefractoryUs = 20_000 });
        foreach (var pixel in Enumerable.Range(0, e.Count).GroupBy(i => (e.X[i], e.Y[i])))
        {
            var times = pixel.Select(i => e.Timestamps[i]).ToArray();
            for (int k = 1; k < times.Length; k++) Assert.True(times[k] - times[k - 1] >= 20_000);
        }
        Assert.Equal(0, SaccadeConverter.Convert(new float[100], 10, 10, new SaccadeOptions()).Count);
        Assert.Equal(0, SaccadeConverter.Convert(image, 10, 10, new SaccadeOptions { Travel = 0 }).Count);
    }
}
