using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data;

/// <summary>
/// One mini-batch on the device: images [B, C, H, W] and labels [B] (class index as float), plus the labels on the
/// host. The tensors belong to no <see cref="TensorScope"/>; the consumer disposes the batch.
/// </summary>
public sealed class Batch : IDisposable
{
    /// <summary>Wraps tensors already on the device; the batch takes ownership of them.</summary>
    /// <param name="images">The encoded-ready images [B, ...sample shape] on the device.</param>
    /// <param name="labels">The labels [B] as float class indices, on the device.</param>
    /// <param name="labelArray">The same labels on the host, one class index per sample.</param>
    /// <exception cref="ArgumentException">The sizes of the parts disagree.</exception>
    public Batch(Tensor images, Tensor labels, int[] labelArray)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(labelArray);
        if (images.Rank == 0 || images.Dim(0) != labelArray.Length || labels.Length != labelArray.Length)
            throw new ArgumentException(
                $"Batch: images {Tensor.Format(images.Shape)}, labels {Tensor.Format(labels.Shape)} and {labelArray.Length} host labels disagree in batch size.");
        Images = images;
        Labels = labels;
        LabelArray = labelArray;
    }

    /// <summary>The images, [B, C, H, W].</summary>
    public Tensor Images { get; }

    /// <summary>The class indices as floats, [B].</summary>
    public Tensor Labels { get; }

    /// <summary>The class indices on the host.</summary>
#pragma warning disable CA1819 // host copy of the labels, read by metrics without another download
    public int[] LabelArray { get; }
#pragma warning restore CA1819

    /// <summary>Number of samples B.</summary>
    public int Size => LabelArray.Length;

    /// <summary>Returns the tensors' memory to the pool.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
