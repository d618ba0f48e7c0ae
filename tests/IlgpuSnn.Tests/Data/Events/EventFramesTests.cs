using IlgpuSnn.Data.Events;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Data.Events;

public sealed class EventFramesTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    private static EventRecording RandomRecording(int n, int side, int seed, int maxGap = 50)
    {
        var rng = new Random(seed);
        var t = new long[n];
        long now = rng.Next(1000);
        for (int i = 0; i < n; i++) t[i] = now += rng.Next(maxGap);
        return new EventRecording(side, side, t,
            Enumerable.Range(0, n).Select(_ => rng.Next(side)).ToArray(),
            Enumerable.Range(0, n).Select(_ => rng.Next(side)).ToArray(),
            Enumerable.Range(0, n).Select(_ => (byte)rng.Next(2)).ToArray());
    }

    /// <summary>
    /// The rules of data-and-api.md written as frame intervals (SpikingJelly's integrate_events_by_fixed_frames_number):
    /// each frame's [first, last) range of events or of times, then a plain count per (frame, p, y, x).
    /// </summary>
    private static double[] Reference(EventRecording e, FrameOptions o, int w, int h)
    {
        int n = e.Count, m = o.Frames;
        var frames = new double[m * 2 * h * w];
        void Add(int f, int i) => frames[((f * 2 + e.Polarity[i]) * h + e.Y[i] * h / e.Height) * w + e.X[i] * w / e.Width] += 1;
        for (int j = 0; j < m; j++)
        {
            if (o.Split == FrameSplit.Count)
            {
                int per = n / m, lo = per * j, hi = j == m - 1 ? n : lo + per;
                for (int i = lo; i < hi; i++) Add(j, i);
            }
            else
            {
                long t0 = e.Timestamps[0];
                long dt = o.Split == FrameSplit.Time ? (e.Timestamps[n - 1] - t0) / m : o.DurationUs;
                long lo = t0 + dt * j, hi = t0 + dt * (j + 1);
                bool last = o.Split == FrameSplit.Time && j == m - 1;
                for (int i = 0; i < n; i++)
                    if (e.Timestamps[i] >= lo && (last || e.Timestamps[i] < hi)) Add(j, i);
            }
        }
        return frames;
    }

    public static TheoryData<FrameSplit, int, long, int, int> Cases => new()
    {
        { FrameSplit.Count, 4, 0, 16, 16 },
        { FrameSplit.Count, 7, 0, 16, 6 },   // N not a multiple of M; down-sampled 16 → 6
        { FrameSplit.Count, 3, 0, 2, 16 },   // N < M: everything in the last frame
        { FrameSplit.Time, 5, 0, 16, 16 },
        { FrameSplit.Time, 3, 0, 16, 7 },
        { FrameSplit.Time, 4, 0, 1, 16 },    // one event: ΔT = 0
        { FrameSplit.Duration, 6, 300, 16, 16 },
        { FrameSplit.Duration, 2, 100, 16, 5 }, // events after 2 · 100 µs are dropped
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Device_integration_matches_the_plain_loop_rule(FrameSplit split, int frames, long duration, int events, int size)
    {
        var e = RandomRecording(events == 16 ? 3000 : events, 16, seed: frames * 31 + size);
        var o = new FrameOptions(frames, split, duration, size, size);
        var got = EventFrames.Integrate(D, e, o);
        var want = Reference(e, o, size, size);
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i]);
        if (split != FrameSplit.Duration) Assert.Equal(e.Count, got.Sum());
    }

    [Fact]
    public void One_launch_over_many_recordings_equals_one_launch_each()
    {
        var empty = new EventRecording(16, 16, [], [], [], []);
        EventRecording[] recordings = [RandomRecording(500, 16, 1), empty, RandomRecording(3, 16, 2), RandomRecording(2000, 16, 3, maxGap: 3)];
        foreach (var split in new[] { FrameSplit.Count, FrameSplit.Time, FrameSplit.Duration })
        {
            var o = new FrameOptions(5, split, 200, 8, 8);
            var all = EventFrames.Integrate(D, recordings, o);
            var each = recordings.SelectMany(r => EventFrames.Integrate(D, r, o)).ToArray();
            Assert.Equal(each, all);
            Assert.Equal(Reference(recordings[3], o, 8, 8).Select(v => (float)v), all[(3 * 5 * 2 * 64)..]);
        }
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentException>(() => new FrameOptions(0).Resolve(34, 34));
        Assert.Throws<ArgumentException>(() => new FrameOptions(4, FrameSplit.Duration).Resolve(34, 34));
        Assert.Throws<ArgumentException>(() => new FrameOptions(4, OutputWidth: 48).Resolve(34, 34));
    }

    [Fact]
    public void Frame_encoder_puts_time_first()
    {
        const int b = 3, t = 4, c = 2, hw = 5;
        var x = Rand.Uniform(b * t * c * hw, 3, 0f, 1f);
        using var scope = TensorScope.Begin();
        var y = new FrameEncoder(t).Encode(Tensor.FromArray(D, x, b, t * c, 1, hw), t, 0);
        Assert.Equal([t, b, c, 1, hw], y.ShapeArray());
        var v = y.ToArray();
        for (int ti = 0; ti < t; ti++)
            for (int bi = 0; bi < b; bi++)
                for (int r = 0; r < c * hw; r++)
                    Assert.Equal(x[(bi * t + ti) * c * hw + r], v[(ti * b + bi) * c * hw + r]);
        Assert.Throws<ArgumentException>(() => new FrameEncoder(t).Encode(Tensor.FromArray(D, x, b, t * c, 1, hw), t + 1, 0));
    }
}
