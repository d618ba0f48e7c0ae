using IlgpuSnn.Data.Events;
using IlgpuSnn.Data.SpikeTrains;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Data;

/// <summary>Spike-train binning against hand-computed bins.</summary>
public sealed class SpikeBinningTests(TestDevice fixture)
{
    // 5 spikes on 4 channels at 10, 20, 30, 70, 100 µs; channels 0, 3, 3, 1, 2.
    private static readonly SpikeTrain Sample = new([10, 20, 30, 70, 100], [0, 3, 3, 1, 2], channels: 4, label: 1);

    [Fact]
    public void Count_gives_floor_n_over_t_spikes_per_step_and_the_rest_to_the_last()
    {
        // T = 2: ⌊5/2⌋ = 2 → step 0 spikes {0, 1}, step 1 spikes {2, 3, 4}.
        Assert.Equal([1, 0, 0, 1, /**/ 0, 1, 1, 1], SpikeBinning.Bin(Sample, new FrameOptions(2, FrameSplit.Count)));
    }

    [Fact]
    public void Time_cuts_first_to_last_spike_into_equal_steps()
    {
        // ΔT = ⌊(100 − 10)/3⌋ = 30: [10, 40) → spikes 0–2; [40, 70) → none; last step [70, ∞) → spikes 3, 4.
        Assert.Equal([1, 0, 0, 2, /**/ 0, 0, 0, 0, /**/ 0, 1, 1, 0], SpikeBinning.Bin(Sample, new FrameOptions(3, FrameSplit.Time)));
    }

    [Fact]
    public void Duration_gives_fixed_steps_from_the_first_spike_and_drops_later_spikes()
    {
        // d = 25: [10, 35) → spikes 0–2; [35, 60) → none; spikes at 70 and 100 are past 2·d and dropped.
        Assert.Equal([1, 0, 0, 2, /**/ 0, 0, 0, 0], SpikeBinning.Bin(Sample, new FrameOptions(2, FrameSplit.Duration, 25)));
    }

    [Fact]
    public void Channel_merging_maps_c_to_floor_c_times_width_over_channels()
    {
        // width 2: channels 0, 1 → 0; 2, 3 → 1. One step (count) holds everything.
        Assert.Equal([2, 3], SpikeBinning.Bin(Sample, new FrameOptions(1, FrameSplit.Count, OutputWidth: 2)));
    }

    [Fact]
    public void Dataset_and_tensor_layouts_are_sample_major_and_time_first()
    {
        var other = new SpikeTrain([5], [2], 4, 0);
        var options = new FrameOptions(2, FrameSplit.Count);
        var data = SpikeBinning.ToDataset([Sample, other], classes: 2, options, "t");
        Assert.Equal((2, 1, 4), (data.Channels, data.Height, data.Width));
        Assert.Equal([1, 0, 0, 1, 0, 1, 1, 1, /**/ 0, 0, 0, 0, 0, 0, 1, 0], data.Images);
        Assert.Equal([1, 0], data.Labels);
        using var tensor = SpikeBinning.ToTensor(fixture.Device, [Sample, other], 0, 2, options);
        Assert.Equal([2, 2, 4], tensor.Shape);
        // [t][b][c]: t = 0 → sample 0 step 0, sample 1 step 0; t = 1 → the second steps.
        Assert.Equal([1, 0, 0, 1, 0, 0, 0, 0, /**/ 0, 1, 1, 1, 0, 0, 1, 0], tensor.ToArray());
    }

    [Fact]
    public void Invalid_trains_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new SpikeTrain([1, 0], [0, 0], 4, 0));
        Assert.Throws<ArgumentException>(() => new SpikeTrain([1], [4], 4, 0));
        Assert.Throws<ArgumentException>(() => new SpikeTrain([-1], [0], 4, 0));
        Assert.Throws<ArgumentException>(() => new SpikeTrain([1], [0, 1], 4, 0));
        Assert.Throws<ArgumentException>(() => SpikeBinning.ToDataset([Sample], classes: 1, new FrameOptions(2), "labels"));
    }
}
