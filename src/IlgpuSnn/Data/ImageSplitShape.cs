namespace IlgpuSnn.Data;

/// <summary>What a split of an image dataset holds, known before its pixels are read.</summary>
/// <param name="Count">Samples in the split.</param>
/// <param name="Channels">Channels per image.</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="Classes">Number of classes.</param>
public sealed record ImageSplitShape(int Count, int Channels, int Height, int Width, int Classes);
