using IlgpuSnn.Data.Events;
using static IlgpuSnn.Tests.Data.Events.EventBytes;

namespace IlgpuSnn.Tests.Data.Events;

public sealed class NMnistFileTests
{
    [Fact]
    public void Decodes_the_40_bit_big_endian_layout()
    {
        // x = 5, y = 33, ON, t = 0x12_3456 = 1193046 µs; then x = 0, y = 0, OFF, t = 0x7FFFFF (all 23 bits).
        var bytes = Concat([5, 33, 0x92, 0x34, 0x56], [0, 0, 0x7F, 0xFF, 0xFF]);
        var e = NMnistFile.Parse("a.bin", bytes);
        Assert.Equal([1193046L, 8388607L], e.Timestamps);
        Assert.Equal([5, 0], e.X);
        Assert.Equal([33, 0], e.Y);
        Assert.Equal([(byte)1, (byte)0], e.Polarity);
        Assert.Equal((34, 34), (e.Width, e.Height));
    }

    [Fact]
    public void An_overflow_marker_adds_2_to_the_13_to_later_events_and_is_dropped()
    {
        var bytes = Concat(NMnist(1, 2, 0, 100), NMnist(0, 240, 0, 0), NMnist(3, 4, 1, 50), NMnist(0, 240, 0, 0), NMnist(5, 6, 0, 7));
        var e = NMnistFile.Parse("o.bin", bytes);
        Assert.Equal([100L, 8192 + 50, 16384 + 7], e.Timestamps);
        Assert.Equal(3, e.Count);
    }

    [Fact]
    public void Writer_round_trips_timestamps_beyond_23_bits()
    {
        long[] t = [0, 10, 8_388_607, 8_388_608, 30_000_000];
        var e = new EventRecording(34, 34, t, [0, 1, 2, 33, 4], [0, 5, 6, 7, 33], [1, 0, 1, 0, 1]);
        var back = NMnistFile.Parse("w.bin", NMnistFile.Encode(e));
        Assert.Equal(t, back.Timestamps);
        Assert.Equal(e.X, back.X);
        Assert.Equal(e.Y, back.Y);
        Assert.Equal(e.Polarity, back.Polarity);
    }

    [Fact]
    public void Truncated_file_names_file_and_offset()
    {
        var bytes = Concat(NMnist(1, 1, 0, 1), [1, 2]);
        var ex = Assert.Throws<InvalidDataException>(() => NMnistFile.Parse("/d/trunc.bin", bytes));
        Assert.StartsWith("/d/trunc.bin: at byte 5:", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(34, 0)]
    [InlineData(0, 34)]
    public void Pixel_off_the_sensor_names_its_offset(int x, int y)
    {
        var bytes = Concat(NMnist(1, 1, 0, 1), NMnist(x, y, 0, 2));
        var ex = Assert.Throws<InvalidDataException>(() => NMnistFile.Parse("f.bin", bytes));
        Assert.Contains("at byte 5:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("outside the 34x34 sensor", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Time_going_back_names_its_offset()
    {
        var bytes = Concat(NMnist(1, 1, 0, 10), NMnist(1, 1, 0, 11), NMnist(1, 1, 0, 9));
        var ex = Assert.Throws<InvalidDataException>(() => NMnistFile.Parse("f.bin", bytes));
        Assert.Contains("at byte 10:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fuzz_never_throws_anything_but_a_located_InvalidDataException() =>
        Fuzz.Run(Concat(NMnist(1, 2, 0, 100), NMnist(0, 240, 0, 0), NMnist(3, 4, 1, 50), NMnist(33, 33, 1, 60)),
            bytes => NMnistFile.Parse("fuzz.bin", bytes), seed: 1);
}
