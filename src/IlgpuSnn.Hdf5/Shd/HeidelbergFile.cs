using System.Globalization;
using IlgpuSnn.Data.SpikeTrains;
using PureHDF;

namespace IlgpuSnn.Hdf5.Shd;

/// <summary>
/// Reads one file of the Heidelberg spiking datasets (SHD, SSC; Cramer et al. 2020): HDF5 with
/// <c>spikes/times</c> (one variable-length array of spike times in seconds per sample, float16/32/64),
/// <c>spikes/units</c> (the matching variable-length arrays of channel indices, any integer type) and <c>labels</c>
/// (one integer per sample). Times become whole microseconds (rounded); a sample's spikes are put in time order.
/// Every size comes from the datasets' declared shapes, which are checked against the file's length before anything is read.
/// </summary>
public static class HeidelbergFile
{
    /// <summary>Input channels of SHD and SSC.</summary>
    public const int Channels = 700;

    /// <summary>The latest spike time accepted (s); SHD and SSC recordings last about a second.</summary>
    public const double MaxSeconds = 1e6;

    /// <summary>Reads every sample of <paramref name="path"/>.</summary>
    /// <param name="path">The .h5 file.</param>
    /// <param name="classes">Number of classes (SHD 20, SSC 35); every label must be below it.</param>
    /// <param name="channels">Number of input channels; every unit must be below it.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not HDF5 or does not hold what SHD files hold; the message names the file, the dataset and the sample.</exception>
    public static IReadOnlyList<SpikeTrain> Read(string path, int classes, int channels = Channels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the file does not exist.", path);
        try
        {
            using var file = H5File.OpenRead(path);
            var times = Dataset(path, file, "spikes/times");
            var units = Dataset(path, file, "spikes/units");
            var labels = Dataset(path, file, "labels");
            long fileLength = new FileInfo(path).Length;
            foreach (var (d, name) in new[] { (times, "spikes/times"), (units, "spikes/units"), (labels, "labels") })
                DeclaredSize.Require(path, fileLength, d, name);
            long n = Length(path, labels, "labels");
            foreach (var (d, name) in new[] { (times, "spikes/times"), (units, "spikes/units") })
                if (Length(path, d, name) != n)
                    throw Error(path, $"{name} holds {Length(path, d, name)} samples but labels holds {n}.");
            var labelValues = ReadIntegers(path, labels, "labels");
            var timeValues = ReadTimes(path, times);
            var unitValues = ReadUnitLists(path, units);
            var samples = new SpikeTrain[n];
            for (int i = 0; i < n; i++)
                samples[i] = Sample(path, i, timeValues[i] ?? [], unitValues[i] ?? [], labelValues[i], classes, channels);
            return samples;
        }
        // PureHDF sizes some reads (global-heap objects) by lengths stored in the file, so a corrupt length surfaces as an
        // OutOfMemoryException ("array dimensions exceeded") or an end-of-stream error: both mean a malformed file here.
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw Error(path, $"not a readable HDF5 file of spike trains ({e.GetType().Name}: {e.Message})");
        }
    }

    private static SpikeTrain Sample(string path, int i, double[] seconds, long[] units, long label, int classes, int channels)
    {
        if (seconds.Length != units.Length)
            throw Error(path, $"sample {i}: spikes/times holds {seconds.Length} values but spikes/units holds {units.Length}.");
        if (label < 0 || label >= classes)
            throw Error(path, $"sample {i}: label {label} is outside [0, {classes}).");
        var micro = new long[seconds.Length];
        for (int k = 0; k < seconds.Length; k++)
        {
            if (!double.IsFinite(seconds[k]) || seconds[k] < 0 || seconds[k] > MaxSeconds)
                throw Error(path, string.Create(CultureInfo.InvariantCulture, $"sample {i}: spike {k} at {seconds[k]} s (times must be finite seconds in [0, {MaxSeconds}])."));
            if (units[k] < 0 || units[k] >= channels)
                throw Error(path, $"sample {i}: spike {k} comes from unit {units[k]}, outside [0, {channels}).");
            micro[k] = (long)Math.Round(seconds[k] * 1e6);
        }
        var order = Enumerable.Range(0, micro.Length).OrderBy(k => micro[k]).ToArray(); // stable: equal times keep file order
        var t = order.Select(k => micro[k]).ToArray();
        var u = order.Select(k => (int)units[k]).ToArray();
        return new SpikeTrain(t, u, channels, (int)label);
    }

    private static IH5Dataset Dataset(string path, PureHDF.VOL.Native.NativeFile file, string name) =>
        file.LinkExists(name) ? file.Dataset(name) : throw Error(path, $"the dataset '{name}' is missing (SHD files hold spikes/times, spikes/units and labels).");

    private static long Length(string path, IH5Dataset d, string name)
    {
        var dims = d.Space.Dimensions;
        if (dims.Length != 1) throw Error(path, $"{name} has shape [{string.Join(", ", dims)}]; one dimension (samples) was expected.");
        if (dims[0] > int.MaxValue) throw Error(path, $"{name} declares {dims[0]} samples.");
        return (long)dims[0];
    }

    private static double[][] ReadTimes(string path, IH5Dataset d)
    {
        if (d.Type.Class != H5DataTypeClass.VariableLength || d.Type.VariableLength.BaseType.Class != H5DataTypeClass.FloatingPoint)
            throw Error(path, $"spikes/times has type {Describe(d.Type)}; variable-length floats were expected.");
        return d.Type.VariableLength.BaseType.Size switch
        {
            2 => d.Read<Half[][]>().Select(a => a?.Select(v => (double)v).ToArray() ?? []).ToArray(),
            4 => d.Read<float[][]>().Select(a => a?.Select(v => (double)v).ToArray() ?? []).ToArray(),
            8 => d.Read<double[][]>().Select(a => a ?? []).ToArray(),
            var s => throw Error(path, $"spikes/times holds {s}-byte floats."),
        };
    }

    private static long[][] ReadUnitLists(string path, IH5Dataset d)
    {
        if (d.Type.Class != H5DataTypeClass.VariableLength || d.Type.VariableLength.BaseType.Class != H5DataTypeClass.FixedPoint)
            throw Error(path, $"spikes/units has type {Describe(d.Type)}; variable-length integers were expected.");
        var b = d.Type.VariableLength.BaseType;
        return (b.Size, b.FixedPoint.IsSigned) switch
        {
            (1, false) => Widen(d.Read<byte[][]>(), v => v),
            (2, false) => Widen(d.Read<ushort[][]>(), v => v),
            (4, false) => Widen(d.Read<uint[][]>(), v => v),
            (1, true) => Widen(d.Read<sbyte[][]>(), v => v),
            (2, true) => Widen(d.Read<short[][]>(), v => v),
            (4, true) => Widen(d.Read<int[][]>(), v => v),
            (8, true) => d.Read<long[][]>().Select(a => a ?? []).ToArray(),
            _ => throw Error(path, $"spikes/units holds {Describe(b)} values."),
        };
    }

    private static long[] ReadIntegers(string path, IH5Dataset d, string name)
    {
        var type = d.Type;
        if (type.Class != H5DataTypeClass.FixedPoint)
            throw Error(path, $"{name} has type {Describe(type)}; integers were expected.");
        return (type.Size, type.FixedPoint.IsSigned) switch
        {
            (1, false) => d.Read<byte[]>().Select(v => (long)v).ToArray(),
            (2, false) => d.Read<ushort[]>().Select(v => (long)v).ToArray(),
            (4, false) => d.Read<uint[]>().Select(v => (long)v).ToArray(),
            (1, true) => d.Read<sbyte[]>().Select(v => (long)v).ToArray(),
            (2, true) => d.Read<short[]>().Select(v => (long)v).ToArray(),
            (4, true) => d.Read<int[]>().Select(v => (long)v).ToArray(),
            (8, true) => d.Read<long[]>(),
            _ => throw Error(path, $"{name} holds {Describe(type)} values."),
        };
    }

    private static long[][] Widen<T>(T[]?[] lists, Func<T, long> widen) => lists.Select(a => a?.Select(widen).ToArray() ?? []).ToArray();

    private static string Describe(IH5DataType type) =>
        type.Class == H5DataTypeClass.VariableLength ? $"variable-length {Describe(type.VariableLength.BaseType)}"
        : type.Class == H5DataTypeClass.FixedPoint ? $"{(type.FixedPoint.IsSigned ? "signed" : "unsigned")} {8 * type.Size}-bit integer"
        : $"{type.Class} ({type.Size} bytes)";

    private static InvalidDataException Error(string path, string problem) => new($"{path}: {problem}");
}
