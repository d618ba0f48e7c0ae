using IlgpuSnn.Training;

namespace IlgpuSnn.Tests.Training;

public sealed class CosineScheduleTests
{
    [Fact]
    public void Warmup_then_cosine_at_known_points()
    {
        // base 0.1, min 0.001, 10 warm-up steps, 110 in all: the cosine part spans 100 steps.
        var s = new CosineSchedule(0.1f, 110, 10, 0.001f);
        Assert.Equal(0.01, s.At(0), 1e-7);        // start of warm-up: 0.1 * 1/10
        Assert.Equal(0.05, s.At(4), 1e-7);        // 0.1 * 5/10
        Assert.Equal(0.1, s.At(9), 1e-7);         // end of warm-up
        Assert.Equal(0.1, s.At(10), 1e-7);        // cosine starts at base
        Assert.Equal(0.08550178, s.At(35), 1e-7); // quarter: 0.001 + 0.099 * 0.5 * (1 + cos(pi/4))
        Assert.Equal(0.0505, s.At(60), 1e-7);     // middle: (base + min) / 2
        Assert.Equal(0.001, s.At(110), 1e-7);     // end
        Assert.Equal(0.001, s.At(5000), 1e-7);    // clamped after the end
    }

    [Fact]
    public void Without_warmup_starts_at_base_and_ends_at_min()
    {
        var s = new CosineSchedule(1f, 4);
        Assert.Equal(1.0, s.At(0), 1e-7);
        Assert.Equal(0.85355339, s.At(1), 1e-6); // 0.5 * (1 + cos(pi/4))
        Assert.Equal(0.5, s.At(2), 1e-7);
        Assert.Equal(0.14644661, s.At(3), 1e-6); // 0.5 * (1 + cos(3pi/4))
        Assert.Equal(0.0, s.At(4), 1e-7);
    }

    [Fact]
    public void Warmup_as_long_as_the_schedule_ends_at_min()
    {
        var s = new CosineSchedule(0.4f, 4, 4, 0.1f);
        Assert.Equal(0.1, s.At(0), 1e-7);
        Assert.Equal(0.4, s.At(3), 1e-7);
        Assert.Equal(0.1, s.At(4), 1e-7);
    }

    [Fact]
    public void Invalid_arguments_throw()
    {
        Assert.Throws<ArgumentException>(() => new CosineSchedule(0.1f, 0));
        Assert.Throws<ArgumentException>(() => new CosineSchedule(0.1f, 10, 11));
        Assert.Throws<ArgumentException>(() => new CosineSchedule(0.1f, 10, -1));
        Assert.Throws<ArgumentException>(() => new CosineSchedule(0.1f, 10, 0, 0.2f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0.1f, 10).At(-1));
    }
}
