using IlgpuSnn.Data.SpikeTrains;

namespace IlgpuSnn.Hdf5.Shd;

/// <summary>The two splits of a Heidelberg spiking dataset, the number of its classes and its input channels.</summary>
/// <param name="Name">"shd" or "ssc".</param>
/// <param name="Train">The training samples.</param>
/// <param name="Test">The test samples.</param>
/// <param name="Classes">Number of classes (SHD 20, SSC 35).</param>
public sealed record HeidelbergSplits(string Name, IReadOnlyList<SpikeTrain> Train, IReadOnlyList<SpikeTrain> Test, int Classes);

/// <summary>
/// Opens the Heidelberg spiking datasets from the folder where the user unpacked them (nothing is downloaded):
/// SHD = <c>shd_train.h5</c> and <c>shd_test.h5</c> (20 classes: the digits 0–9 in English and German), SSC =
/// <c>ssc_train.h5</c> and <c>ssc_test.h5</c> (35 classes; its <c>ssc_valid.h5</c> is not used).
/// </summary>
public static class HeidelbergDatasets
{
    /// <summary>The names <see cref="Open"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["shd", "ssc"];

    /// <summary>Reads both splits of dataset <paramref name="name"/> ("shd" or "ssc") from <paramref name="folder"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    /// <exception cref="FileNotFoundException">A split's file is missing; the message names the file expected.</exception>
    /// <exception cref="InvalidDataException">A file is malformed.</exception>
    public static HeidelbergSplits Open(string name, string folder)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        int classes = name switch
        {
            "shd" => 20,
            "ssc" => 35,
            _ => throw new ArgumentException($"Unknown Heidelberg dataset '{name}'. Valid: {string.Join(", ", Names)}."),
        };
        string File(string split)
        {
            var path = Path.Combine(folder, $"{name}_{split}.h5");
            return System.IO.File.Exists(path) ? path
                : throw new FileNotFoundException($"{path}: missing; the folder should hold the unpacked {name}_train.h5 and {name}_test.h5 (gunzip the .h5.gz files).", path);
        }
        return new HeidelbergSplits(name, HeidelbergFile.Read(File("train"), classes), HeidelbergFile.Read(File("test"), classes), classes);
    }
}
