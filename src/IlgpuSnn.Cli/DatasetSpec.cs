using System.Globalization;
using IlgpuSnn.Data;
using IlgpuSnn.Data.Cifar10;
using IlgpuSnn.Data.Events;
using IlgpuSnn.Data.SpikeTrains;
using IlgpuSnn.Hdf5.Shd;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Cli;

/// <summary>What `snn train` trains on: the two splits, the input shape of one time step, and how samples become sequences.</summary>
/// <param name="Train">Training split.</param>
/// <param name="Test">Test split.</param>
/// <param name="InputShape">The shape of one time step of one sample, [C, H, W].</param>
/// <param name="Frames">Frames per sample when the samples are pre-integrated sequences (then T must equal it), else null.</param>
internal sealed record LoadedData(ImageDataset Train, ImageDataset Test, int[] InputShape, int? Frames);

/// <summary>
/// Parses `--dataset`: a name of an installed image dataset (fashion-mnist, mnist), an IDX folder, or NAME:PATH with
/// NAME one of cifar10, nmnist, cifar10-dvs, dvs-gesture, shd, ssc and PATH the folder where the official archive was unpacked.
/// </summary>
internal static class DatasetSpec
{
    public static IReadOnlyList<string> EventNames { get; } = ["nmnist", "cifar10-dvs", "dvs-gesture"];

    /// <summary>Frame settings from the command line.</summary>
    public sealed record FrameSettings(int Frames, string SplitBy, long DurationUs, int? FrameSize, string? CacheFolder);

    /// <summary>Splits NAME:PATH; a plain value (no known NAME before a colon) returns null.</summary>
    public static (string Name, string Path)? Split(string spec)
    {
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return null;
        var name = spec[..colon].Trim().ToLowerInvariant();
        if (name != "cifar10" && !EventNames.Contains(name) && !HeidelbergDatasets.Names.Contains(name))
        {
            if (name.Length == 1) return null; // a Windows drive letter
            throw new ArgumentException($"--dataset {spec}: unknown dataset '{name}'. Valid: cifar10, {string.Join(", ", EventNames.Concat(HeidelbergDatasets.Names))} (as NAME:PATH), fashion-mnist, mnist or an IDX folder.");
        }
        var path = spec[(colon + 1)..];
        if (path.Length == 0 || !Directory.Exists(path))
            throw new DirectoryNotFoundException($"--dataset {spec}: the folder '{path}' does not exist.");
        return (name, path);
    }

    /// <summary>
    /// The training split's shape and sample count (after <paramref name="trainLimit"/>) without loading it, for the datasets
    /// whose loading is host-only and whose headers or file lengths tell it (fashion-mnist, mnist, IDX folders, cifar10:PATH);
    /// null for the others (event data, whose frames are built on the device) or when
    /// the files are not what <see cref="Load"/> accepts (it then reports why).
    /// </summary>
    public static ImageSplitShape? TryDescribe(string spec, int? trainLimit)
    {
        var parsed = Split(spec);
        if (parsed is not null && parsed.Value.Name != "cifar10") return null;
        var shape = parsed is null ? VisionDatasets.TryDescribe(spec) : Cifar10Reader.TryDescribe(parsed.Value.Path);
        return shape is not null && trainLimit is { } limit ? shape with { Count = Math.Min(limit, shape.Count) } : shape;
    }

    /// <summary>Loads an image dataset (fashion-mnist, mnist, an IDX folder or cifar10:PATH): host work only, no device needed.</summary>
    public static LoadedData LoadImages(string spec, int? trainLimit, int? testLimit)
    {
        var parsed = Split(spec);
        var (train, test) = parsed is null ? VisionDatasets.Load(spec, trainLimit, testLimit) : Cifar10Reader.Load(parsed.Value.Path);
        if (trainLimit is { } tl) train = train.Take(Math.Min(tl, train.Count));
        if (testLimit is { } el) test = test.Take(Math.Min(el, test.Count));
        return new LoadedData(train, test, [train.Channels, train.Height, train.Width], null);
    }

    /// <summary>Loads the splits named by <paramref name="spec"/>, limited to the first samples when asked (class-balanced for event data).</summary>
    public static LoadedData Load(string spec, Device device, FrameSettings frames, int? trainLimit, int? testLimit, Action<string> report)
    {
        var parsed = Split(spec);
        if (parsed is null || parsed.Value.Name == "cifar10") return LoadImages(spec, trainLimit, testLimit);
        var (name, path) = parsed.Value;
        var options = new FrameOptions(frames.Frames, ParseSplit(frames.SplitBy), frames.DurationUs, frames.FrameSize);
        if (HeidelbergDatasets.Names.Contains(name)) return LoadSpikeTrains(name, path, options, trainLimit, testLimit, report);
        var (trainEvents, testEvents) = name switch
        {
            "nmnist" => EventDatasets.NMnist(path),
            "cifar10-dvs" => EventDatasets.Cifar10Dvs(path),
            _ => EventDatasets.DvsGesture(path),
        };
        if (trainLimit is { } a) trainEvents = trainEvents.Take(a);
        if (testLimit is { } b) testEvents = testEvents.Take(b);
        options = options with { OutputHeight = frames.FrameSize };
        var cache = frames.CacheFolder ?? DefaultCache();
        var trainFrames = FrameDatasets.Build(device, trainEvents, options, cache, report);
        var testFrames = FrameDatasets.Build(device, testEvents, options, cache, report);
        return new LoadedData(trainFrames, testFrames, [2, trainFrames.Height, trainFrames.Width], frames.Frames);
    }

    /// <summary>SHD or SSC binned into [T, 1, 700] per sample (the frame options' rules; --frame-size merges channels).</summary>
    private static LoadedData LoadSpikeTrains(string name, string path, FrameOptions options, int? trainLimit, int? testLimit, Action<string> report)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var splits = HeidelbergDatasets.Open(name, path);
        var train = splits.Train.Take(trainLimit ?? int.MaxValue).ToList();
        var test = splits.Test.Take(testLimit ?? int.MaxValue).ToList();
        var trainSet = SpikeBinning.ToDataset(train, splits.Classes, options, $"{name}-train");
        var testSet = SpikeBinning.ToDataset(test, splits.Classes, options, $"{name}-test");
        report(string.Create(CultureInfo.InvariantCulture, $"{name}: {train.Count} training and {test.Count} test spike trains read and binned into {options.Frames} steps of {trainSet.Width} channels in {watch.Elapsed.TotalSeconds:F1} s."));
        return new LoadedData(trainSet, testSet, [1, 1, trainSet.Width], options.Frames);
    }

    private static FrameSplit ParseSplit(string splitBy) => splitBy switch
    {
        "count" => FrameSplit.Count,
        "time" => FrameSplit.Time,
        "duration" => FrameSplit.Duration,
        _ => throw new ArgumentException($"--split-by {splitBy}: valid are count, time, duration."),
    };

    private static string DefaultCache()
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root)) root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "ilgpusnn", "frames");
    }

    /// <summary>Describes the frame options for the start-up line.</summary>
    public static string Describe(FrameSettings f) =>
        string.Create(CultureInfo.InvariantCulture, $"{f.Frames} frames split by {f.SplitBy}{(f.SplitBy == "duration" ? $" ({f.DurationUs} µs)" : "")}");
}
