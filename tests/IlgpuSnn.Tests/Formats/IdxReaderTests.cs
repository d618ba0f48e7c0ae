using IlgpuSnn.Data;
using IlgpuSnn.Formats;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Formats;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempFolder tmp = new();

    public void Dispose() => tmp.Dispose();

    [Theory]
    [InlineData(false, "plain.idx")]
    [InlineData(true, "compressed.idx")] // gzip detected by magic, not by name
    [InlineData(true, "compressed.idx.gz")]
    [InlineData(false, "misnamed.gz")] // a raw file named .gz is still read as raw
    public void Reads_uint8_raw_and_gzip(bool gzip, string name)
    {
        var data = IdxBytes.RandomBytes(3 * 2 * 4, 7);
        var raw = IdxBytes.Build(0x08, [3, 2, 4], data);
        var path = tmp.File(name);
        File.WriteAllBytes(path, gzip ? IdxBytes.Gzip(raw) : raw);

        var idx = IdxReader.Read(path);

        Assert.Equal([3, 2, 4], idx.Dimensions);
        Assert.Equal(0x08, idx.ElementType);
        Assert.Equal(data, idx.Data);
        Assert.Equal(24, idx.Count);
    }

    [Fact]
    public void Decodes_big_endian_int16_and_float32()
    {
        var p16 = tmp.File("i16");
        File.WriteAllBytes(p16, IdxBytes.Build(0x0B, [3], [0x01, 0x02, 0xFF, 0xFE, 0x00, 0x07]));
        Assert.Equal([258f, -2f, 7f], IdxReader.Read(p16).ToSingles());

        var p32 = tmp.File("f32");
        // 1.5f = 0x3FC00000, -2f = 0xC0000000 (big-endian)
        File.WriteAllBytes(p32, IdxBytes.Build(0x0D, [2], [0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0]));
        Assert.Equal([1.5f, -2f], IdxReader.Read(p32).ToSingles());
    }

    private InvalidDataException ReadBad(string name, byte[] bytes)
    {
        var path = tmp.File(name);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public void Bad_magic_is_rejected()
    {
        var bytes = IdxBytes.Build(0x08, [4], [1, 2, 3, 4]);
        bytes[0] = 0x50;
        bytes[1] = 0x4B; // "PK": a zip file
        var e = ReadBad("zip", bytes);
        Assert.Contains("magic", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Unknown_type_code_and_zero_dimension_are_rejected()
    {
        ReadBad("type", IdxBytes.Build(0x07, [4], [1, 2, 3, 4]));
        ReadBad("zero", IdxBytes.Build(0x08, [2, 0], []));
        ReadBad("rank0", [0, 0, 8, 0]);
        ReadBad("short", [0, 0]);
    }

    [Fact]
    public void Wrong_dimension_count_versus_data_is_rejected()
    {
        // Header claims 3 dimensions but only 2 sizes precede the data: the data no longer fits.
        ReadBad("rank-too-high", IdxBytes.Build(0x08, [2, 3], IdxBytes.RandomBytes(6, 1), rankOverride: 3));
        // Header claims 1 dimension but 2 sizes were written: 4 bytes too many.
        ReadBad("rank-too-low", IdxBytes.Build(0x08, [2, 3], IdxBytes.RandomBytes(6, 1), rankOverride: 1));
        // Header truncated inside the dimension list.
        ReadBad("header-cut", [0, 0, 8, 3, 0, 0, 0, 2]);
    }

    [Fact]
    public void Truncation_names_expected_and_actual_bytes()
    {
        var e = ReadBad("cut", IdxBytes.Build(0x08, [2, 3, 4], IdxBytes.RandomBytes(23, 2)));
        Assert.Contains("truncated", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("24", e.Message, StringComparison.Ordinal);
        Assert.Contains("23", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        var e = ReadBad("long", IdxBytes.Build(0x08, [2, 3, 4], IdxBytes.RandomBytes(25, 3)));
        Assert.Contains("trailing", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Truncated_gzip_stream_is_rejected()
    {
        var gz = IdxBytes.Gzip(IdxBytes.Build(0x08, [50, 20], IdxBytes.RandomBytes(1000, 4)));
        ReadBad("cut.gz", gz[..(gz.Length / 2)]);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        var path = tmp.File("absent");
        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
