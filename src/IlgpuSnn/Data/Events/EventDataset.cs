namespace IlgpuSnn.Data.Events;

/// <summary>
/// A labelled event-camera dataset split: the samples and how to read their files. Files are read on demand
/// (<see cref="Load"/>); the last file read is kept, because DVS128 Gesture stores several samples per file.
/// </summary>
public sealed class EventDataset
{
    private readonly Func<string, EventRecording> reader;
    private string? lastPath;
    private EventRecording? lastStream;

    /// <summary>Creates a dataset split.</summary>
    /// <param name="name">A name used in messages and cache keys.</param>
    /// <param name="width">Sensor width.</param>
    /// <param name="height">Sensor height.</param>
    /// <param name="classes">Number of classes; every label is in [0, classes).</param>
    /// <param name="samples">The samples.</param>
    /// <param name="reader">Reads one file.</param>
    /// <exception cref="ArgumentException">A label is out of range or the sensor size is not positive.</exception>
    public EventDataset(string name, int width, int height, int classes, IReadOnlyList<EventSample> samples, Func<string, EventRecording> reader)
    {
        ArgumentNullException.ThrowIfNull(samples);
        this.reader = reader ?? throw new ArgumentNullException(nameof(reader));
        if (width <= 0 || height <= 0 || classes <= 0)
            throw new ArgumentException($"EventDataset '{name}': sensor {width}x{height} and {classes} classes must be positive.");
        foreach (var s in samples)
            if ((uint)s.Label >= (uint)classes)
                throw new ArgumentException($"EventDataset '{name}': sample '{s.Path}' has label {s.Label}, outside [0, {classes}).");
        Name = name;
        Width = width;
        Height = height;
        Classes = classes;
        Samples = samples;
    }

    /// <summary>A name used in messages and cache keys.</summary>
    public string Name { get; }

    /// <summary>Sensor width.</summary>
    public int Width { get; }

    /// <summary>Sensor height.</summary>
    public int Height { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>The samples.</summary>
    public IReadOnlyList<EventSample> Samples { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Samples.Count;

    /// <summary>The events of sample <paramref name="index"/>.</summary>
    /// <param name="index">0-based sample index, in [0, <see cref="Count"/>).</param>
    /// <returns>The sample's events (the time window of the sample when it is part of a longer file).</returns>
    /// <exception cref="InvalidDataException">The file is malformed or its sensor differs from the dataset's.</exception>
    public EventRecording Load(int index)
    {
        var sample = Samples[index];
        if (lastPath != sample.Path || lastStream is null)
        {
            lastStream = reader(sample.Path);
            lastPath = sample.Path;
            if (lastStream.Width != Width || lastStream.Height != Height)
                throw new InvalidDataException($"{sample.Path}: a {lastStream.Width}x{lastStream.Height} sensor, dataset '{Name}' is {Width}x{Height}.");
        }
        return sample.Start == 0 && sample.End == long.MaxValue ? lastStream : lastStream.Slice(sample.Start, sample.End);
    }

    /// <summary>A new split holding the first <paramref name="n"/> samples.</summary>
    /// <param name="n">Number of samples to keep; clamped to [0, <see cref="Count"/>].</param>
    /// <returns>A dataset of the same sensor, classes and reader over the first samples.</returns>
    public EventDataset Take(int n) =>
        new(Name, Width, Height, Classes, Samples.Take(Math.Clamp(n, 0, Count)).ToList(), reader);
}
