using IlgpuSnn.Formats;

namespace IlgpuSnn.Data;

/// <summary>
/// Loads MNIST-style image datasets from IDX files on disk. Nothing is ever downloaded: Fashion-MNIST comes from the
/// Debian package <c>dataset-fashion-mnist</c> (/usr/share/datasets/fashion-mnist), or from any folder holding the four
/// standard files.
/// </summary>
public static class VisionDatasets
{
    /// <summary>Where the Debian package dataset-fashion-mnist installs Fashion-MNIST.</summary>
    public const string FashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>Where MNIST is looked for by <see cref="Load(string)"/>("mnist").</summary>
    public const string MnistFolder = "/usr/share/datasets/mnist";

    private static readonly float[] ByteToUnit = Enumerable.Range(0, 256).Select(b => b / 255f).ToArray();

    /// <summary>
    /// Loads one split from an IDX image file ([N, H, W] or [N, C, H, W], uint8) and an IDX label file ([N], uint8).
    /// Pixels are scaled to [0, 1] (value / 255).
    /// </summary>
    /// <param name="imagesPath">Path of the IDX image file, optionally gzip-compressed.</param>
    /// <param name="labelsPath">Path of the IDX label file, optionally gzip-compressed.</param>
    /// <param name="classes">Number of classes; every label must be below it.</param>
    /// <returns>The images [N, C, H, W] in [0, 1] (C = 1 for rank-3 files) with their labels.</returns>
    /// <exception cref="InvalidDataException">The files are malformed, have the wrong type or rank, or disagree in count.</exception>
    /// <exception cref="ArgumentException">A label is outside [0, <paramref name="classes"/>).</exception>
    public static ImageDataset LoadIdx(string imagesPath, string labelsPath, int classes = 10) => LoadIdx(imagesPath, labelsPath, classes, null);

    /// <summary>
    /// Loads the first <paramref name="limit"/> samples of one split (all when null or when it holds fewer): only their
    /// bytes are read and decompressed, so a short run on a large dataset neither waits for nor holds the rest.
    /// </summary>
    /// <param name="imagesPath">Path of the IDX image file, optionally gzip-compressed.</param>
    /// <param name="labelsPath">Path of the IDX label file, optionally gzip-compressed.</param>
    /// <param name="classes">Number of classes; every label read must be below it.</param>
    /// <param name="limit">The most samples to load; positive, or null for all.</param>
    /// <returns>The images [N, C, H, W] in [0, 1] (C = 1 for rank-3 files) with their labels.</returns>
    /// <exception cref="InvalidDataException">The files are malformed, have the wrong type or rank, or disagree in count.</exception>
    /// <exception cref="ArgumentException">A label read is outside [0, <paramref name="classes"/>).</exception>
    public static ImageDataset LoadIdx(string imagesPath, string labelsPath, int classes, int? limit)
    {
        var images = limit is { } n ? IdxReader.Read(imagesPath, n) : IdxReader.Read(imagesPath);
        var labels = limit is { } m ? IdxReader.Read(labelsPath, m) : IdxReader.Read(labelsPath);
        if (images.ElementType != IdxFile.UInt8)
            throw new InvalidDataException($"IDX images '{imagesPath}': element type is {IdxFile.TypeName(images.ElementType)}, only uint8 images are supported.");
        if (labels.ElementType != IdxFile.UInt8)
            throw new InvalidDataException($"IDX labels '{labelsPath}': element type is {IdxFile.TypeName(labels.ElementType)}, only uint8 labels are supported.");
        int c, h, w;
        var d = images.Dimensions;
        if (d.Length == 3) (c, h, w) = (1, d[1], d[2]);
        else if (d.Length == 4) (c, h, w) = (d[1], d[2], d[3]);
        else
            throw new InvalidDataException($"IDX images '{imagesPath}': dimensions [{string.Join(", ", d)}] are not [N, H, W] or [N, C, H, W].");
        if (labels.Dimensions.Length != 1)
            throw new InvalidDataException($"IDX labels '{labelsPath}': dimensions [{string.Join(", ", labels.Dimensions)}] are not [N].");
        if (labels.Dimensions[0] != d[0])
            throw new InvalidDataException(
                $"IDX images '{imagesPath}' hold {d[0]} samples but labels '{labelsPath}' hold {labels.Dimensions[0]}.");

        var pixels = new float[images.Data.Length];
        var src = images.Data;
        for (int i = 0; i < pixels.Length; i++) pixels[i] = ByteToUnit[src[i]];
        var y = new int[labels.Data.Length];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = labels.Data[i];
            if (y[i] >= classes)
                throw new ArgumentException($"IDX labels '{labelsPath}': label {y[i]} of sample {i} is outside [0, {classes}).", nameof(labelsPath));
        }
        return new ImageDataset(pixels, y, c, h, w, classes, Path.GetFileName(imagesPath));
    }

    /// <summary>
    /// Loads the train and test splits from a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte,
    /// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each optionally with a .gz suffix.
    /// </summary>
    /// <param name="folder">The folder holding the four MNIST-style files.</param>
    /// <returns>The training and test splits.</returns>
    /// <exception cref="FileNotFoundException">A file is missing; the message lists every name looked for.</exception>
    public static (ImageDataset Train, ImageDataset Test) LoadMnistLike(string folder) => LoadMnistLike(folder, null, null);

    /// <summary>Loads the first <paramref name="trainLimit"/> and <paramref name="testLimit"/> samples of the two splits of an MNIST-style folder (all when null); see <see cref="LoadIdx(string, string, int, int?)"/>.</summary>
    /// <param name="folder">The folder holding the four MNIST-style files.</param>
    /// <param name="trainLimit">The most training samples to load, or null for all.</param>
    /// <param name="testLimit">The most test samples to load, or null for all.</param>
    /// <returns>The training and test splits.</returns>
    /// <exception cref="FileNotFoundException">A file is missing; the message lists every name looked for.</exception>
    public static (ImageDataset Train, ImageDataset Test) LoadMnistLike(string folder, int? trainLimit, int? testLimit)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var trainImages = Find(folder, "train-images-idx3-ubyte");
        var trainLabels = Find(folder, "train-labels-idx1-ubyte");
        var testImages = Find(folder, "t10k-images-idx3-ubyte");
        var testLabels = Find(folder, "t10k-labels-idx1-ubyte");
        return (LoadIdx(trainImages, trainLabels, 10, trainLimit), LoadIdx(testImages, testLabels, 10, testLimit));
    }

    /// <summary>
    /// Loads a dataset by name: "fashion-mnist" (from <see cref="FashionMnistFolder"/>), "mnist" (from
    /// <see cref="MnistFolder"/>), or otherwise a folder path with MNIST-style files. Nothing is downloaded.
    /// </summary>
    /// <param name="dataset">"mnist", "fashion-mnist" or a folder path.</param>
    /// <returns>The training and test splits.</returns>
    /// <exception cref="DirectoryNotFoundException">The dataset folder is absent; the message says how to install it.</exception>
    public static (ImageDataset Train, ImageDataset Test) Load(string dataset) => Load(dataset, null, null);

    /// <summary>Loads a dataset by name as <see cref="Load(string)"/>, only the first <paramref name="trainLimit"/> and <paramref name="testLimit"/> samples of its splits (all when null).</summary>
    /// <param name="dataset">"mnist", "fashion-mnist" or a folder path.</param>
    /// <param name="trainLimit">The most training samples to load, or null for all.</param>
    /// <param name="testLimit">The most test samples to load, or null for all.</param>
    /// <returns>The training and test splits.</returns>
    /// <exception cref="DirectoryNotFoundException">The dataset folder is absent; the message says how to install it.</exception>
    public static (ImageDataset Train, ImageDataset Test) Load(string dataset, int? trainLimit, int? testLimit)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataset);
        switch (dataset.Trim().ToLowerInvariant())
        {
            case "fashion-mnist" or "fashionmnist" or "fashion_mnist":
                if (!Directory.Exists(FashionMnistFolder))
                    throw new DirectoryNotFoundException(
                        $"Fashion-MNIST was not found in {FashionMnistFolder}. Install it with `apt-get install dataset-fashion-mnist`, or pass the path of a folder holding the four IDX files. Nothing is downloaded automatically.");
                return LoadMnistLike(FashionMnistFolder, trainLimit, testLimit);
            case "mnist":
                if (!Directory.Exists(MnistFolder))
                    throw new DirectoryNotFoundException(
                        $"MNIST was not found in {MnistFolder}. Place train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz) there, or pass the path of a folder holding them. Nothing is downloaded automatically.");
                return LoadMnistLike(MnistFolder, trainLimit, testLimit);
            default:
                if (!Directory.Exists(dataset))
                    throw new DirectoryNotFoundException(
                        $"Dataset '{dataset}' is neither a known name (fashion-mnist, mnist) nor an existing folder.");
                return LoadMnistLike(dataset, trainLimit, testLimit);
        }
    }

    /// <summary>
    /// The shape of the training split that <see cref="Load(string)"/> would return, read from the IDX headers alone (milliseconds
    /// instead of the seconds a load takes), so that work that depends only on the shape can start while the data loads.
    /// Null when the dataset is absent or its headers are not what <see cref="Load(string)"/> accepts; <see cref="Load(string)"/> then
    /// reports why.
    /// </summary>
    /// <param name="dataset">"mnist", "fashion-mnist" or a folder path, as for <see cref="Load(string)"/>.</param>
    /// <returns>The training split's sample count, image shape and class count, or null.</returns>
    public static ImageSplitShape? TryDescribe(string dataset)
    {
        if (string.IsNullOrWhiteSpace(dataset)) return null;
        var folder = dataset.Trim().ToLowerInvariant() switch
        {
            "fashion-mnist" or "fashionmnist" or "fashion_mnist" => FashionMnistFolder,
            "mnist" => MnistFolder,
            _ => dataset,
        };
        try
        {
            var (type, d) = IdxReader.ReadHeader(Find(folder, "train-images-idx3-ubyte"));
            if (type != IdxFile.UInt8) return null;
            return d.Length switch
            {
                3 => new ImageSplitShape(d[0], 1, d[1], d[2], 10),
                4 => new ImageSplitShape(d[0], d[1], d[2], d[3], 10),
                _ => null,
            };
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Find(string folder, string baseName)
    {
        string[] candidates = [Path.Combine(folder, baseName), Path.Combine(folder, baseName + ".gz")];
        foreach (var c in candidates)
            if (File.Exists(c)) return c;
        throw new FileNotFoundException(
            $"MNIST-style dataset in '{folder}': none of {string.Join(", ", candidates.Select(c => "'" + c + "'"))} exists. The folder needs train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each optionally .gz).",
            candidates[0]);
    }
}
