using IlgpuSnn.Data;
using IlgpuSnn.Formats;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Formats;

/// <summary>
/// Reading part of an IDX file: <see cref="IdxReader.ReadHeader"/> and <see cref="VisionDatasets.TryDescribe"/> (the shape from
/// the header alone, checked as strictly as a full read) and the first items only (<see cref="IdxReader.Read(string, int)"/>,
/// the limits of <see cref="VisionDatasets.Load(string, int?, int?)"/>), without reading the rest.
/// </summary>
public sealed class IdxPartialReadTests : IDisposable
{
    private readonly TempFolder tmp = new();

    public void Dispose() => tmp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_header_alone_gives_type_and_dimensions(bool gzip)
    {
        var raw = IdxBytes.Build(0x0D, [5, 3, 2], new byte[5 * 3 * 2 * 4]);
        var path = tmp.File("f.idx");
        File.WriteAllBytes(path, gzip ? IdxBytes.Gzip(raw) : raw);

        var (type, dims) = IdxReader.ReadHeader(path);

        Assert.Equal(0x0D, type);
        Assert.Equal([5, 3, 2], dims);
    }

    [Fact]
    public void The_data_is_not_read()
    {
        // A valid header followed by a gzip stream cut short: a full read fails, the header read does not need the rest.
        var compressed = IdxBytes.Gzip(IdxBytes.Build(0x08, [1000, 28, 28], IdxBytes.RandomBytes(1000 * 28 * 28, 3)));
        var path = tmp.File("cut.gz");
        File.WriteAllBytes(path, compressed.AsSpan(0, compressed.Length / 2).ToArray());

        Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Equal([1000, 28, 28], IdxReader.ReadHeader(path).Dimensions);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_first_items_are_the_prefix_of_a_full_read(bool gzip)
    {
        var data = IdxBytes.RandomBytes(9 * 3 * 2 * 2, 5);
        var raw = IdxBytes.Build(0x0B, [9, 3, 2], data);
        var path = tmp.File("i16.idx");
        File.WriteAllBytes(path, gzip ? IdxBytes.Gzip(raw) : raw);

        var all = IdxReader.Read(path);
        foreach (int n in new[] { 1, 4, 9, 50 })
        {
            var part = IdxReader.Read(path, n);
            int kept = Math.Min(n, 9);
            Assert.Equal([kept, 3, 2], part.Dimensions);
            Assert.Equal(0x0B, part.ElementType);
            Assert.Equal(data.AsSpan(0, kept * 3 * 2 * 2).ToArray(), part.Data);
            Assert.Equal(all.ToSingles().Take(kept * 6), part.ToSingles());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => IdxReader.Read(path, 0));
    }

    [Fact]
    public void Only_the_items_asked_for_are_read_and_they_must_be_whole()
    {
        var compressed = IdxBytes.Gzip(IdxBytes.Build(0x08, [1000, 28, 28], IdxBytes.RandomBytes(1000 * 28 * 28, 3)));
        var path = tmp.File("cut.gz");
        File.WriteAllBytes(path, compressed.AsSpan(0, compressed.Length / 2).ToArray());

        Assert.Equal([10, 28, 28], IdxReader.Read(path, 10).Dimensions); // the cut lies beyond the first ten images
        Assert.Throws<InvalidDataException>(() => IdxReader.Read(path, 900));
        var shortRaw = tmp.File("short");
        File.WriteAllBytes(shortRaw, IdxBytes.Build(0x08, [4, 4], new byte[15]));
        Assert.Throws<InvalidDataException>(() => IdxReader.Read(shortRaw, 1)); // a raw file's length is still checked
    }

    [Fact]
    public void Dataset_limits_load_the_first_samples_of_each_split()
    {
        foreach (var (prefix, n, seed) in new[] { ("train", 12, 1), ("t10k", 7, 2) })
        {
            var labels = Enumerable.Range(0, n).Select(i => (byte)((i * 7 + seed) % 10)).ToArray();
            File.WriteAllBytes(tmp.File($"{prefix}-images-idx3-ubyte.gz"), IdxBytes.Gzip(IdxBytes.Build(0x08, [n, 3, 2], IdxBytes.RandomBytes(n * 6, seed))));
            File.WriteAllBytes(tmp.File($"{prefix}-labels-idx1-ubyte"), IdxBytes.Build(0x08, [n], labels));
        }
        var (train, test) = VisionDatasets.Load(tmp.Path);
        var (train5, test3) = VisionDatasets.Load(tmp.Path, 5, 3);
        var (trainAll, test100) = VisionDatasets.Load(tmp.Path, null, 100);

        Assert.Equal((5, 3), (train5.Count, test3.Count));
        Assert.Equal(train.Images.Take(5 * 6), train5.Images);
        Assert.Equal(train.Labels.Take(5), train5.Labels);
        Assert.Equal(test.Images.Take(3 * 6), test3.Images);
        Assert.Equal(test.Labels.Take(3), test3.Labels);
        Assert.Equal(train.Images, trainAll.Images);
        Assert.Equal(test.Labels, test100.Labels);
    }

    [Fact]
    public void A_bad_header_or_a_raw_length_that_disagrees_is_refused()
    {
        var badMagic = tmp.File("magic");
        File.WriteAllBytes(badMagic, [1, 0, 0x08, 1, 0, 0, 0, 1, 7]);
        var zeroDim = tmp.File("zero");
        File.WriteAllBytes(zeroDim, IdxBytes.Build(0x08, [0], []));
        var shortRaw = tmp.File("short");
        File.WriteAllBytes(shortRaw, IdxBytes.Build(0x08, [4, 4], new byte[15]));
        var longRaw = tmp.File("long");
        File.WriteAllBytes(longRaw, IdxBytes.Build(0x08, [4, 4], new byte[17]));

        foreach (var path in new[] { badMagic, zeroDim, shortRaw, longRaw })
            Assert.Throws<InvalidDataException>(() => IdxReader.ReadHeader(path));
        Assert.Throws<FileNotFoundException>(() => IdxReader.ReadHeader(tmp.File("absent")));
        Assert.Throws<InvalidDataException>(() => IdxReader.ReadHeader(tmp.Path));
    }

    [Fact]
    public void A_dataset_folder_is_described_from_its_training_images_header()
    {
        File.WriteAllBytes(tmp.File("train-images-idx3-ubyte.gz"), IdxBytes.Gzip(IdxBytes.Build(0x08, [7, 5, 3], new byte[7 * 5 * 3])));
        Assert.Equal(new ImageSplitShape(7, 1, 5, 3, 10), VisionDatasets.TryDescribe(tmp.Path));

        File.WriteAllBytes(tmp.File("train-images-idx3-ubyte.gz"), IdxBytes.Gzip(IdxBytes.Build(0x08, [7, 3, 5, 4], new byte[7 * 3 * 5 * 4])));
        Assert.Equal(new ImageSplitShape(7, 3, 5, 4, 10), VisionDatasets.TryDescribe(tmp.Path));

        // What a load refuses is not described (the load then says why): another element type, another rank, no file.
        File.WriteAllBytes(tmp.File("train-images-idx3-ubyte.gz"), IdxBytes.Gzip(IdxBytes.Build(0x0D, [7, 5, 3], new byte[7 * 5 * 3 * 4])));
        Assert.Null(VisionDatasets.TryDescribe(tmp.Path));
        File.WriteAllBytes(tmp.File("train-images-idx3-ubyte.gz"), IdxBytes.Gzip(IdxBytes.Build(0x08, [7, 15], new byte[7 * 15])));
        Assert.Null(VisionDatasets.TryDescribe(tmp.Path));
        File.Delete(tmp.File("train-images-idx3-ubyte.gz"));
        Assert.Null(VisionDatasets.TryDescribe(tmp.Path));
        Assert.Null(VisionDatasets.TryDescribe(tmp.File("no-such-folder")));
    }
}
