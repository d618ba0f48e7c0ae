using IlgpuSnn.Data;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Data;

public sealed class VisionDatasetsTests : IDisposable
{
    private readonly TempFolder tmp = new();

    public void Dispose() => tmp.Dispose();

    private (byte[] Pixels, byte[] Labels) WriteSplit(string prefix, int n, int h, int w, int seed, bool gzip, int? labelCount = null)
    {
        var pixels = IdxBytes.RandomBytes(n * h * w, seed);
        pixels[0] = 0;
        pixels[1] = 255;
        var rng = new Random(seed + 100);
        var labels = Enumerable.Range(0, labelCount ?? n).Select(_ => (byte)rng.Next(10)).ToArray();
        var images = IdxBytes.Build(0x08, [n, h, w], pixels);
        var lab = IdxBytes.Build(0x08, [labels.Length], labels);
        string ext = gzip ? ".gz" : "";
        File.WriteAllBytes(tmp.File($"{prefix}-images-idx3-ubyte{ext}"), gzip ? IdxBytes.Gzip(images) : images);
        File.WriteAllBytes(tmp.File($"{prefix}-labels-idx1-ubyte{ext}"), gzip ? IdxBytes.Gzip(lab) : lab);
        return (pixels, labels);
    }

    private static void AssertSplit(ImageDataset d, (byte[] Pixels, byte[] Labels) expected, int n, int h, int w)
    {
        Assert.Equal(n, d.Count);
        Assert.Equal(1, d.Channels);
        Assert.Equal(h, d.Height);
        Assert.Equal(w, d.Width);
        Assert.Equal(10, d.Classes);
        Assert.Equal(expected.Labels.Select(b => (int)b), d.Labels);
        Assert.Equal(n * h * w, d.Images.Length);
        for (int i = 0; i < d.Images.Length; i++)
            Assert.Equal(expected.Pixels[i] / 255.0, d.Images[i], 1e-6);
        Assert.Equal(0f, d.Images[0]);
        Assert.Equal(1f, d.Images[1]);
    }

    [Fact]
    public void LoadMnistLike_reads_a_generated_folder_mixing_raw_and_gzip()
    {
        var train = WriteSplit("train", 7, 5, 3, seed: 1, gzip: true);
        var test = WriteSplit("t10k", 4, 5, 3, seed: 2, gzip: false);

        var (tr, te) = VisionDatasets.LoadMnistLike(tmp.Path);
        AssertSplit(tr, train, 7, 5, 3);
        AssertSplit(te, test, 4, 5, 3);

        // Load with a folder path is the same thing.
        var (tr2, _) = VisionDatasets.Load(tmp.Path);
        Assert.Equal(tr.Images, tr2.Images);
    }

    [Fact]
    public void Missing_files_are_listed()
    {
        WriteSplit("train", 3, 2, 2, seed: 1, gzip: false);
        var e = Assert.Throws<FileNotFoundException>(() => VisionDatasets.LoadMnistLike(tmp.Path));
        Assert.Contains("t10k-images-idx3-ubyte", e.Message, StringComparison.Ordinal);
        Assert.Contains("t10k-images-idx3-ubyte.gz", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_and_label_counts_must_match()
    {
        WriteSplit("train", 5, 2, 2, seed: 1, gzip: false, labelCount: 4);
        WriteSplit("t10k", 3, 2, 2, seed: 2, gzip: false);
        var e = Assert.Throws<InvalidDataException>(() => VisionDatasets.LoadMnistLike(tmp.Path));
        Assert.Contains("train-images-idx3-ubyte", e.Message, StringComparison.Ordinal);
        Assert.Contains("5", e.Message, StringComparison.Ordinal);
        Assert.Contains("4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_outside_the_classes_are_rejected()
    {
        File.WriteAllBytes(tmp.File("img"), IdxBytes.Build(0x08, [2, 2, 2], new byte[8]));
        File.WriteAllBytes(tmp.File("lab"), IdxBytes.Build(0x08, [2], [1, 10]));
        var e = Assert.Throws<ArgumentException>(() => VisionDatasets.LoadIdx(tmp.File("img"), tmp.File("lab")));
        Assert.Contains("10", e.Message, StringComparison.Ordinal);
        // With 11 classes the same files are fine.
        Assert.Equal(11, VisionDatasets.LoadIdx(tmp.File("img"), tmp.File("lab"), classes: 11).Classes);
        Assert.Throws<ArgumentException>(() => new ImageDataset(new float[4], [0, 3], 1, 1, 2, classes: 3));
        Assert.Throws<ArgumentException>(() => new ImageDataset(new float[5], [0, 1], 1, 1, 2, classes: 3));
    }

    [Fact]
    public void Non_uint8_images_are_rejected_clearly()
    {
        File.WriteAllBytes(tmp.File("img"), IdxBytes.Build(0x0D, [1, 1, 1], new byte[4]));
        File.WriteAllBytes(tmp.File("lab"), IdxBytes.Build(0x08, [1], [0]));
        var e = Assert.Throws<InvalidDataException>(() => VisionDatasets.LoadIdx(tmp.File("img"), tmp.File("lab")));
        Assert.Contains("float32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Take_copies_the_first_samples()
    {
        var images = Enumerable.Range(0, 5 * 6).Select(i => i / 30f).ToArray();
        var d = new ImageDataset(images, [0, 1, 2, 0, 1], 2, 1, 3, classes: 3);
        var t = d.Take(2);
        Assert.Equal(2, t.Count);
        Assert.Equal(images[..12], t.Images);
        Assert.Equal([0, 1], t.Labels);
        Assert.Equal((2, 1, 3, 3), (t.Channels, t.Height, t.Width, t.Classes));
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Take(6));
    }

    [Fact]
    public void Unknown_dataset_name_is_reported()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => VisionDatasets.Load("no-such-dataset-xyz"));
        Assert.Contains("no-such-dataset-xyz", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Real_fashion_mnist_has_the_published_statistics()
    {
        if (!Directory.Exists(VisionDatasets.FashionMnistFolder))
        {
            var e = Assert.Throws<DirectoryNotFoundException>(() => VisionDatasets.Load("fashion-mnist"));
            Assert.Contains("apt-get install dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
            Assert.Skip($"{VisionDatasets.FashionMnistFolder} is absent (apt-get install dataset-fashion-mnist).");
        }

        var (train, test) = VisionDatasets.Load("fashion-mnist");
        Assert.Equal((60000, 1, 28, 28, 10), (train.Count, train.Channels, train.Height, train.Width, train.Classes));
        Assert.Equal((10000, 1, 28, 28), (test.Count, test.Channels, test.Height, test.Width));
        Assert.All(Histogram(train.Labels), c => Assert.Equal(6000, c));
        Assert.All(Histogram(test.Labels), c => Assert.Equal(1000, c));
        // First labels and the mean pixel, computed independently from the raw files (Python gzip + byte counts).
        Assert.Equal([9, 0, 0, 3, 0, 2, 7, 2, 5, 5], train.Labels[..10]);
        Assert.Equal([9, 2, 1, 1, 6, 1, 4, 6, 5, 7], test.Labels[..10]);
        double sum = 0;
        foreach (var v in train.Images) sum += v;
        Assert.Equal(3431114169.0 / 255.0, sum, 2.0);
        Assert.InRange(train.Images.Min(), 0f, 0f);
        Assert.InRange(train.Images.Max(), 1f, 1f);
    }

    private static int[] Histogram(int[] labels)
    {
        var h = new int[10];
        foreach (var l in labels) h[l]++;
        return h;
    }
}
