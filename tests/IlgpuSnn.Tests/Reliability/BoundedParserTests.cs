using IlgpuSnn.Formats;
using IlgpuSnn.Data;
using IlgpuSnn.Tools.GradCheck;
using IlgpuSnn.Tests.Data;
using IlgpuSnn.Training;

using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Reliability;

/// <summary>Parsers read no more than their header declares and never read a whole file before checking its length.</summary>
public sealed class BoundedParserTests
{
    [Fact]
    public void A_gzip_bomb_is_rejected_after_the_declared_bytes_with_bounded_memory()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("bomb.gz");
        // A valid header for 64 images of 28x28, then 256 MiB of zeros: the file is ~250 KiB.
        using (var file = File.Create(path))
        using (var gz = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Optimal))
        {
            gz.Write(IdxBytes.Build(0x08, [64, 28, 28], []));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) gz.Write(zeros);
        }
        Assert.True(new FileInfo(path).Length < 1 << 20);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        long used = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Contains("trailing", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.True(used < 4 << 20, $"{used} bytes allocated for a 50 KB image set");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_header_declaring_gigabytes_in_a_small_gzip_file_allocates_only_what_arrives()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("liar.gz");
        File.WriteAllBytes(path, IdxBytes.Gzip(IdxBytes.Build(0x08, [60000, 100, 300], new byte[1000])));
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 64 << 20);
    }

    [Fact]
    public void More_than_two_gigabytes_of_declared_data_is_refused_before_reading()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("big");
        File.WriteAllBytes(path, IdxBytes.Build(0x0D, [60000, 100, 100], new byte[16]));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains("2 GB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_raw_file_of_the_wrong_length_is_refused_before_its_data_is_read()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("short");
        // A sparse 3 GB file: reading it whole would fail or take seconds; the header says 24 bytes of data.
        using (var f = File.Create(path))
        {
            f.Write(IdxBytes.Build(0x08, [2, 3, 4], []));
            f.SetLength(3L << 30);
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains("trailing", e.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_folder_is_not_an_idx_or_safetensors_file()
    {
        using var tmp = new TempFolder();
        Assert.Contains(tmp.Path, Assert.Throws<InvalidDataException>(() => IdxReader.Read(tmp.Path)).Message, StringComparison.Ordinal);
        Assert.Contains(tmp.Path, Assert.Throws<InvalidDataException>(() => SafeTensors.Load(tmp.Path, out _)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_safetensors_header_longer_than_the_file_is_refused_without_reading_it()
    {
        using var tmp = new TempFolder();
        var path = tmp.File("huge-header.safetensors");
        var bytes = new byte[64];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), 50L << 20);
        File.WriteAllBytes(path, bytes);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path, out _));
        Assert.Contains("header length", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 1 << 20);
    }

    [Fact]
    public void A_gradcheck_case_over_the_limit_or_with_out_of_range_numbers_is_refused()
    {
        Assert.Contains("at most", Assert.Throws<FormatException>(() => GradCheckCase.Parse(new string(' ', GradCheckCase.MaxChars + 1))).Message, StringComparison.Ordinal);
        var e = Assert.Throws<FormatException>(() => GradCheckCase.Parse("""{"inputs": [[1e39]], "target": [0.5], "layers": [[[0.8]]], "readout": [[1.0]]}"""));
        Assert.Contains("inputs[0][0]", e.Message, StringComparison.Ordinal);
        Assert.Contains("float32", e.Message, StringComparison.Ordinal);
    }
}
