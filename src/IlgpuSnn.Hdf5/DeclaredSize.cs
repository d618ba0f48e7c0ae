using System.Globalization;
using PureHDF;

namespace IlgpuSnn.Hdf5;

/// <summary>
/// Bounds a dataset's declared size by the file that holds it, before anything is read: PureHDF allocates the whole
/// result from the shape in the file, so a corrupt or hostile shape (a few bytes in the dataspace message) would
/// otherwise allocate gigabytes. Stored contiguously or compactly, a dataset's elements are in the file: count × size
/// must fit in the file's length. Stored in chunks, they may be compressed; no filter HDF5 files use expands data more
/// than deflate's 1032:1, so <see cref="MaxExpansion"/> times the file's length bounds them (and refuses chunked
/// datasets that were declared but never written, whose every element would be the fill value).
/// </summary>
internal static class DeclaredSize
{
    /// <summary>The most a chunked dataset's elements may take per byte of the file (deflate's limit, rounded up).</summary>
    public const long MaxExpansion = 1100;

    /// <summary>The dataset's element count when it fits the file; throws the reason otherwise.</summary>
    /// <param name="path">The file (named in the error).</param>
    /// <param name="fileLength">The file's length in bytes.</param>
    /// <param name="dataset">The dataset about to be read.</param>
    /// <param name="name">The dataset's name in the error.</param>
    /// <returns>The number of elements the shape declares (1 for a scalar).</returns>
    /// <exception cref="InvalidDataException">The shape overflows or cannot fit in the file.</exception>
    public static long Require(string path, long fileLength, IH5Dataset dataset, string name)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        long count = 1;
        foreach (ulong d in dataset.Space.Type == H5DataspaceType.Scalar ? [] : dataset.Space.Dimensions)
        {
            if (d > long.MaxValue || (d != 0 && count > long.MaxValue / (long)d))
                throw Refuse(path, name, $"declares a shape of more than {long.MaxValue} elements");
            count *= (long)d;
        }
        long size = Math.Max(1, (long)dataset.Type.Size);
        bool chunked = dataset.Layout.Class == H5DataLayoutClass.Chunked;
        long limit = chunked ? fileLength * MaxExpansion : fileLength;
        if (count > limit / size)
        {
            string how = chunked ? $"more than {MaxExpansion} times the file's {fileLength} bytes, what compression can give"
                : $"more than the file's {fileLength} bytes";
            throw Refuse(path, name, string.Create(CultureInfo.InvariantCulture, $"declares {count} elements of {size} bytes, {how}"));
        }
        return count;
    }

    private static InvalidDataException Refuse(string path, string name, string problem) => new($"{path}: {name} {problem}.");
}
