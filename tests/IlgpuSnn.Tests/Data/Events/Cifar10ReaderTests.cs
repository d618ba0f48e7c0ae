using IlgpuSnn.Data;
using IlgpuSnn.Data.Cifar10;
using IlgpuSnn.Tests.Data;

using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Data.Events;

public sealed class Cifar10ReaderTests : IDisposable
{
    private readonly TempFolder tmp = new();

    public void Dispose() => tmp.Dispose();

    /// <summary>A record whose pixel k of plane c is (c * 7 + k) mod 256.</summary>
    private static byte[] Record(int label)
    {
        var r = new byte[3073];
        r[0] = (byte)label;
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 1024; k++) r[1 + c * 1024 + k] = (byte)((c * 7 + k) % 256);
        return r;
    }

    [Fact]
    public void Reads_label_then_red_green_blue_planes_row_major()
    {
        var ds = Cifar10Reader.Parse("b.bin", [.. Record(3), .. Record(9)]);
        Assert.Equal([3, 9], ds.Labels);
        Assert.Equal((3, 32, 32), (ds.Channels, ds.Height, ds.Width));
        // sample 1, green (c = 1), row 2, column 5 → k = 69, value 76
        Assert.Equal(76 / 255f, ds.Images[3072 + 1 * 1024 + 2 * 32 + 5]);
        Assert.Equal(0f, ds.Images[0]);
    }

    [Fact]
    public void Rejects_truncation_and_labels_above_9_with_offsets()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Cifar10Reader.Parse("t.bin", [.. Record(1), .. Record(2)[..100]]));
        Assert.StartsWith("t.bin: at byte 3073:", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<InvalidDataException>(() => Cifar10Reader.Parse("l.bin", [.. Record(1), .. Record(10)]));
        Assert.StartsWith("l.bin: at byte 3073: label 10", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loads_the_unpacked_folder_and_names_a_missing_batch()
    {
        var dir = Path.Combine(tmp.Path, "cifar-10-batches-bin");
        Directory.CreateDirectory(dir);
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"), Record(b));
        var ex = Assert.Throws<FileNotFoundException>(() => Cifar10Reader.Load(tmp.Path));
        Assert.Contains("'test_batch.bin' is missing", ex.Message, StringComparison.Ordinal);
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), Record(0));
        var (train, test) = Cifar10Reader.Load(tmp.Path);
        Assert.Equal([1, 2, 3, 4, 5], train.Labels);
        Assert.Equal([0], test.Labels);
    }

    /// <summary>The warm-up of `snn train` needs the training split's shape before the pixels are read: from the files' lengths.</summary>
    [Fact]
    public void Describes_the_training_split_from_file_lengths_or_gives_null()
    {
        var dir = Path.Combine(tmp.Path, "cifar-10-batches-bin");
        Directory.CreateDirectory(dir);
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"), [.. Enumerable.Range(0, b).SelectMany(_ => Record(b))]);
        Assert.Null(Cifar10Reader.TryDescribe(tmp.Path)); // no test batch yet
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), Record(0));
        var shape = Cifar10Reader.TryDescribe(tmp.Path);
        Assert.Equal(new ImageSplitShape(1 + 2 + 3 + 4 + 5, 3, 32, 32, 10), shape);
        Assert.Equal(shape!.Count, Cifar10Reader.Load(tmp.Path).Train.Count);
        File.WriteAllBytes(Path.Combine(dir, "data_batch_3.bin"), Record(3)[..3000]); // not whole records
        Assert.Null(Cifar10Reader.TryDescribe(tmp.Path));
        Assert.Null(Cifar10Reader.TryDescribe(Path.Combine(tmp.Path, "absent")));
    }

    [Fact]
    public void Fuzz_cifar10() =>
        Fuzz.Run([.. Record(1), .. Record(9)], b => Cifar10Reader.Parse("fuzz.bin", b), seed: 4);
}
