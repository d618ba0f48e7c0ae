namespace IlgpuSnn.Data;

/// <summary>
/// A labelled image dataset held in host memory: <see cref="Images"/> is [Count, Channels, Height, Width] in C order,
/// scaled to [0, 1]; <see cref="Labels"/> holds one class index in [0, <see cref="Classes"/>) per sample.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Wraps the arrays (no copy) after validating their sizes and the labels.</summary>
    /// <param name="images">Count*Channels*Height*Width pixel values.</param>
    /// <param name="labels">One label per sample, each in [0, classes).</param>
    /// <param name="channels">Channels per image.</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="name">A name used in messages (e.g. the file or dataset).</param>
    /// <exception cref="ArgumentException">Sizes disagree, a label is outside [0, classes) or a pixel is NaN or ∞.</exception>
    public ImageDataset(float[] images, int[] labels, int channels, int height, int width, int classes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        Name = name ?? "dataset";
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"ImageDataset '{Name}': image shape [{channels}, {height}, {width}] must be positive.");
        if (classes <= 0)
            throw new ArgumentException($"ImageDataset '{Name}': classes must be positive, got {classes}.", nameof(classes));
        long per = (long)channels * height * width;
        if (images.LongLength != per * labels.Length)
            throw new ArgumentException(
                $"ImageDataset '{Name}': {labels.Length} labels need {per * labels.Length} pixel values of shape [{channels}, {height}, {width}], got {images.LongLength}.");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"ImageDataset '{Name}': label {labels[i]} of sample {i} is outside [0, {classes}).", nameof(labels));
        int bad = Array.FindIndex(images, v => !float.IsFinite(v));
        if (bad >= 0)
            throw new ArgumentException(
                $"ImageDataset '{Name}': pixel {bad % per} of sample {bad / per} is {images[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)}; every input value must be finite.", nameof(images));
        Images = images;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
    }

    /// <summary>A name used in messages.</summary>
    public string Name { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>Channels per image.</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Number of classes; every label is in [0, Classes).</summary>
    public int Classes { get; }

    /// <summary>Values per image (Channels * Height * Width).</summary>
    public int SampleSize => Channels * Height * Width;

    /// <summary>All images, [Count, Channels, Height, Width] in C order, scaled to [0, 1].</summary>
#pragma warning disable CA1819 // the dataset exposes its storage on purpose (no copies of 47M floats)
    public float[] Images { get; }

    /// <summary>The class index of each sample.</summary>
    public int[] Labels { get; }
#pragma warning restore CA1819

    /// <summary>A new dataset holding copies of the first <paramref name="n"/> samples.</summary>
    /// <param name="n">Number of samples to keep, in [0, <see cref="Count"/>].</param>
    /// <returns>A new dataset with the first samples and their labels.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative or larger than <see cref="Count"/>.</exception>
    public ImageDataset Take(int n)
    {
        if (n < 0 || n > Count)
            throw new ArgumentOutOfRangeException(nameof(n), $"ImageDataset '{Name}'.Take({n}): the dataset has {Count} samples.");
        var images = Images.AsSpan(0, n * SampleSize).ToArray();
        var labels = Labels.AsSpan(0, n).ToArray();
        return new ImageDataset(images, labels, Channels, Height, Width, Classes, Name);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Count} x [{Channels}, {Height}, {Width}], {Classes} classes";
}
