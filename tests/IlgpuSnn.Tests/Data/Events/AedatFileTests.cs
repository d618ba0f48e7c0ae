using System.Text;
using IlgpuSnn.Data.Events;
using static IlgpuSnn.Tests.Data.Events.EventBytes;

namespace IlgpuSnn.Tests.Data.Events;

public sealed class AedatFileTests
{
    private static readonly byte[] Header2 = Aedat2Header("Creation time: today", "AEChip: DVS128");

    [Fact]
    public void Aedat2_decodes_big_endian_dvs128_addresses()
    {
        // address = y << 8 | x << 1 | p: (x 3, y 127, ON), (x 127, y 0, OFF), (x 64, y 5, ON)
        var bytes = Concat(Header2, Aedat2((127u << 8) | (3u << 1) | 1, 10), Aedat2(127u << 1, 10), Aedat2((5u << 8) | (64u << 1) | 1, 0x01020304));
        var e = Aedat2File.Parse("c.aedat", bytes);
        Assert.Equal([3, 127, 64], e.X);
        Assert.Equal([127, 0, 5], e.Y);
        Assert.Equal([(byte)1, (byte)0, (byte)1], e.Polarity);
        Assert.Equal([10L, 10, 16909060], e.Timestamps);
    }

    [Fact]
    public void Aedat2_skips_special_events_and_rejects_high_address_bits()
    {
        var special = Concat(Header2, Aedat2(0x8000 | 2, 5), Aedat2(2, 6));
        Assert.Equal([6L], Aedat2File.Parse("s.aedat", special).Timestamps);
        var bad = Concat(Header2, Aedat2(2, 5), Aedat2(0x10000, 6));
        var ex = Assert.Throws<InvalidDataException>(() => Aedat2File.Parse("s.aedat", bad));
        Assert.Contains($"at byte {Header2.Length + 8}:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aedat2_rejects_wrong_version_truncation_and_time_going_back()
    {
        var wrong = Concat(Encoding.ASCII.GetBytes("#!AER-DAT3.1\r\n"), Aedat2(2, 5));
        Assert.Contains("at byte 0: the first line is '#!AER-DAT3.1'", Assert.Throws<InvalidDataException>(() => Aedat2File.Parse("v.aedat", wrong)).Message, StringComparison.Ordinal);
        var truncated = Concat(Header2, Aedat2(2, 5), [1, 2, 3]);
        Assert.Contains($"at byte {Header2.Length + 8}:", Assert.Throws<InvalidDataException>(() => Aedat2File.Parse("t.aedat", truncated)).Message, StringComparison.Ordinal);
        var back = Concat(Header2, Aedat2(2, 5), Aedat2(2, 4));
        Assert.Contains($"at byte {Header2.Length + 12}:", Assert.Throws<InvalidDataException>(() => Aedat2File.Parse("b.aedat", back)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aedat3_decodes_little_endian_packets_with_timestamp_overflow()
    {
        var header = Aedat3Header();
        var bytes = Concat(header,
            PacketHeader(1, 8, 0, 3, 3, 2), Polarity(10, 20, 1, 100), Polarity(99, 99, 1, 150, valid: false), Polarity(127, 0, 0, 2_147_483_647),
            PacketHeader(2, 12, 0, 1, 1, 1), new byte[12], // a special-event packet: skipped
            PacketHeader(1, 8, 1, 2, 1, 1), Polarity(0, 127, 1, 5), new byte[8]); // capacity 2, number 1: the spare slot is not read
        var e = Aedat3File.Parse("g.aedat", bytes);
        Assert.Equal([10, 127, 0], e.X);
        Assert.Equal([20, 0, 127], e.Y);
        Assert.Equal([(byte)1, (byte)0, (byte)1], e.Polarity);
        Assert.Equal([100L, 2_147_483_647L, (1L << 31) + 5], e.Timestamps);
    }

    [Fact]
    public void Aedat3_rejects_bad_files_at_their_offsets()
    {
        var h = Aedat3Header();
        int p = h.Length, ev = p + 28;
        void Fails(byte[] bytes, long offset, string what)
        {
            var ex = Assert.Throws<InvalidDataException>(() => Aedat3File.Parse("/x/g.aedat", bytes));
            Assert.StartsWith($"/x/g.aedat: at byte {offset}:", ex.Message, StringComparison.Ordinal);
            Assert.Contains(what, ex.Message, StringComparison.Ordinal);
        }
        Fails(Concat(Encoding.ASCII.GetBytes("#!AER-DAT2.0\r\n#!END-HEADER\r\n")), 0, "expected '#!AER-DAT3.1'");
        Fails(Encoding.ASCII.GetBytes("#!AER-DAT3.1\r\n#no end\r\n"), 23, "no '#!END-HEADER'");
        Fails(Concat(h, PacketHeader(1, 8, 0, 1, 1, 1)[..20]), p, "truncated packet header");
        Fails(Concat(h, PacketHeader(1, 8, 0, 2, 2, 2), Polarity(1, 1, 1, 1)), p, "truncated packet");
        Fails(Concat(h, PacketHeader(1, 8, 0, 1, 2, 1), Polarity(1, 1, 1, 1)), p, "inconsistent");
        Fails(Concat(h, PacketHeader(1, 8, 0, 2, 2, 2), Polarity(1, 1, 1, 1), Polarity(128, 1, 1, 2)), ev + 8, "outside the 128x128 sensor");
        Fails(Concat(h, PacketHeader(1, 8, 0, 2, 2, 2), Polarity(1, 1, 1, 5), Polarity(1, 1, 1, 4)), ev + 12, "earlier than");
        Fails(Concat(h, PacketHeader(1, 8, 0, 1, 1, 1), Polarity(1, 1, 1, -3)), ev + 4, "negative");
        Fails(Concat(h, PacketHeader(1, 12, 0, 1, 1, 1), new byte[12]), p + 4, "must be 8 bytes");
    }

    [Fact]
    public void Fuzz_aedat2() =>
        Fuzz.Run(Concat(Header2, Aedat2((3u << 8) | 2, 1), Aedat2(0x8000, 2), Aedat2((127u << 8) | 255, 3)), b => Aedat2File.Parse("fuzz.aedat", b), seed: 2);

    [Fact]
    public void Fuzz_aedat3() =>
        Fuzz.Run(Concat(Aedat3Header(), PacketHeader(1, 8, 0, 2, 2, 2), Polarity(1, 2, 1, 3), Polarity(127, 127, 0, 4),
            PacketHeader(2, 4, 0, 1, 1, 1), new byte[4], PacketHeader(1, 8, 1, 1, 1, 1), Polarity(5, 5, 1, 0)), b => Aedat3File.Parse("fuzz.aedat", b), seed: 3);
}
