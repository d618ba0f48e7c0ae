using IlgpuSnn.Data;
using IlgpuSnn.Formats;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Formats;

/// <summary>
/// <see cref="IdxReader.ReadHeader"/> and <see cref="VisionDatasets.TryDescribe"/>: the shape from the header alone, checked
/// as strictly as a full read, without reading the data.
/// </summary>
public sealed class IdxHeaderTests : IDisposable
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
