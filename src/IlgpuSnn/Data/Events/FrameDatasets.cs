using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using IlgpuSnn.Runtime;
using IlgpuSnn.Formats;

namespace IlgpuSnn.Data.Events;

/// <summary>
/// Turns an <see cref="EventDataset"/> into an <see cref="ImageDataset"/> of frames: sample i becomes
/// [Frames·2, H, W] (frame t's OFF and ON channels at 2t and 2t+1), to be presented by a <see cref="FrameEncoder"/>.
/// The frames are integrated on the device and cached in one file per split, named by a SHA-256 of the options and
/// every sample's file path, size, modification time and time window, so a second run reads them instead of
/// integrating again and any change to the data or the options integrates anew. The cache is written atomically.
/// </summary>
public static class FrameDatasets
{
    private const string Magic = "ILGPUSNN-FRAMES-1";

    /// <summary>Samples integrated by one kernel launch (bounds the device memory of a launch).</summary>
    private const int SamplesPerLaunch = 256;

    /// <summary>Floats per read or write, so that no span exceeds 2 GiB.</summary>
    private const long Chunk = 1 << 26;

    /// <summary>Frames of every sample of <paramref name="events"/>; read from <paramref name="cacheFolder"/> when present there.</summary>
    /// <param name="device">Where the integration runs.</param>
    /// <param name="events">The recordings.</param>
    /// <param name="options">How events become frames.</param>
    /// <param name="cacheFolder">Folder of the cache files; null = no cache.</param>
    /// <param name="report">Receives one line saying whether the frames were integrated or read, and how long it took.</param>
    /// <returns>The frames as images [N, Frames·2, height, width] with the events' labels.</returns>
    public static ImageDataset Build(Device device, EventDataset events, FrameOptions options, string? cacheFolder = null, Action<string>? report = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(options);
        var (w, h) = options.Resolve(events.Width, events.Height);
        int channels = checked(options.Frames * 2);
        var watch = Stopwatch.StartNew();
        string? cache = cacheFolder is null ? null : Path.Combine(cacheFolder, $"{events.Name}_{options.Key(events.Width, events.Height)}_{Identity(events, options)}.frames");
        if (cache is not null && TryRead(cache, events.Count, channels, h, w, events.Classes) is { } cached)
        {
            report?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{events.Name}: {events.Count} samples of frames read from the cache {cache} in {watch.Elapsed.TotalSeconds:F1} s."));
            return new ImageDataset(cached.Pixels, cached.Labels, channels, h, w, events.Classes, events.Name);
        }
        long per = (long)channels * h * w;
        var pixels = new float[checked(per * events.Count)];
        var labels = new int[events.Count];
        for (int first = 0; first < events.Count; first += SamplesPerLaunch)
        {
            int count = Math.Min(SamplesPerLaunch, events.Count - first);
            var frames = EventFrames.Integrate(device, Enumerable.Range(first, count).Select(events.Load).ToList(), options);
            Array.Copy(frames, 0, pixels, per * first, frames.LongLength);
            for (int i = first; i < first + count; i++) labels[i] = events.Samples[i].Label;
        }
        if (cache is not null) Write(cache, pixels, labels, channels, h, w);
        report?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{events.Name}: {events.Count} samples integrated into frames in {watch.Elapsed.TotalSeconds:F1} s{(cache is null ? "" : $", cached at {cache}")}."));
        return new ImageDataset(pixels, labels, channels, h, w, events.Classes, events.Name);
    }

    /// <summary>The identity of a split with given options: 16 hex digits of a SHA-256 over the options and every sample's file identity.</summary>
    /// <param name="events">The split.</param>
    /// <param name="options">The frame options.</param>
    /// <returns>16 lowercase hex digits, used in cache file names.</returns>
    public static string Identity(EventDataset events, FrameOptions options)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(options);
        var text = new StringBuilder(options.Key(events.Width, events.Height)).Append('\n');
        foreach (var s in events.Samples)
        {
            var info = new FileInfo(s.Path);
            text.Append(CultureInfo.InvariantCulture, $"{Path.GetFullPath(s.Path)}|{(info.Exists ? info.Length : -1)}|{(info.Exists ? info.LastWriteTimeUtc.Ticks : 0)}|{s.Start}|{s.End}|{s.Label}\n");
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16].ToLowerInvariant();
    }

    private sealed record Cached(float[] Pixels, int[] Labels);

    private static void Write(string path, float[] pixels, int[] labels, int channels, int h, int w)
    {
        AtomicFile.Write(path, stream =>
        {
            var header = new byte[Magic.Length + 20];
            Encoding.ASCII.GetBytes(Magic, header);
            int o = Magic.Length;
            foreach (int v in new[] { labels.Length, channels, h, w, 0 })
            {
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(o), v);
                o += 4;
            }
            stream.Write(header);
            stream.Write(MemoryMarshal.AsBytes(labels.AsSpan()));
            for (long start = 0; start < pixels.LongLength; start += Chunk)
                stream.Write(MemoryMarshal.AsBytes(pixels.AsSpan((int)start, (int)Math.Min(Chunk, pixels.LongLength - start))));
        });
    }

    /// <summary>The cached frames, or null when the file is absent or does not hold exactly what is expected.</summary>
    private static Cached? TryRead(string path, int count, int channels, int h, int w, int classes)
    {
        if (!File.Exists(path)) return null;
        long per = (long)channels * h * w;
        int headerBytes = Magic.Length + 20;
        using var fs = File.OpenRead(path);
        if (fs.Length != headerBytes + 4L * count + 4L * per * count) return null;
        var header = new byte[headerBytes];
        fs.ReadExactly(header);
        if (Encoding.ASCII.GetString(header, 0, Magic.Length) != Magic) return null;
        var dims = Enumerable.Range(0, 4).Select(k => BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(Magic.Length + 4 * k))).ToArray();
        if (!dims.SequenceEqual([count, channels, h, w])) return null;
        var labels = new int[count];
        fs.ReadExactly(MemoryMarshal.AsBytes(labels.AsSpan()));
        if (labels.Any(l => (uint)l >= (uint)classes)) return null;
        var pixels = new float[per * count];
        for (long start = 0; start < pixels.LongLength; start += Chunk)
            fs.ReadExactly(MemoryMarshal.AsBytes(pixels.AsSpan((int)start, (int)Math.Min(Chunk, pixels.LongLength - start))));
        return new Cached(pixels, labels);
    }
}
