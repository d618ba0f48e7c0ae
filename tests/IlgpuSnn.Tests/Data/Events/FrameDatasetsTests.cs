using IlgpuSnn.Data.Events;
using IlgpuSnn.Tests.Data;
using IlgpuSnn.Tests.Support;
using static IlgpuSnn.Tests.Data.Events.EventBytes;

namespace IlgpuSnn.Tests.Data.Events;

public sealed class FrameDatasetsTests(TestDevice fixture) : IDisposable
{
    private readonly TempFolder tmp = new();

    public void Dispose() => tmp.Dispose();

    private EventDataset Write(int samples)
    {
        var list = new List<EventSample>();
        for (int i = 0; i < samples; i++)
        {
            var path = tmp.File($"s{i}.bin");
            File.WriteAllBytes(path, Concat(NMnist(i, 0, 1, 1), NMnist(0, i, 0, 2), NMnist(1, 1, 1, 3 + i)));
            list.Add(new EventSample(path, i % 2));
        }
        return new EventDataset("toy", 34, 34, 2, list, p => NMnistFile.Read(p));
    }

    [Fact]
    public void Second_build_reads_the_cache_and_a_changed_file_integrates_again()
    {
        var events = Write(3);
        var options = new FrameOptions(2, FrameSplit.Count, OutputWidth: 17, OutputHeight: 17);
        var cache = Path.Combine(tmp.Path, "cache");
        var lines = new List<string>();
        var first = FrameDatasets.Build(fixture.Device, events, options, cache, lines.Add);
        var second = FrameDatasets.Build(fixture.Device, events, options, cache, lines.Add);
        Assert.Contains("integrated", lines[0], StringComparison.Ordinal);
        Assert.Contains("read from the cache", lines[1], StringComparison.Ordinal);
        Assert.Equal(first.Images, second.Images);
        Assert.Equal(first.Labels, second.Labels);
        Assert.Equal((4, 17, 17), (first.Channels, first.Height, first.Width));
        // sample 2: events (2,0,ON,t1) → frame 0 (⌊3/2⌋ = 1 event per frame), (0,2,OFF) and (1,1,ON) → frame 1; 34 → 17 halves coordinates
        var s2 = first.Images.AsSpan(2 * 4 * 17 * 17, 4 * 17 * 17).ToArray();
        Assert.Equal(1f, s2[(0 * 2 + 1) * 289 + 0 * 17 + 1]);
        Assert.Equal(1f, s2[(1 * 2 + 0) * 289 + 1 * 17 + 0]);
        Assert.Equal(1f, s2[(1 * 2 + 1) * 289 + 0 * 17 + 0]);
        Assert.Equal(3f, s2.Sum());

        File.SetLastWriteTimeUtc(events.Samples[1].Path, DateTime.UtcNow.AddMinutes(5));
        FrameDatasets.Build(fixture.Device, events, options, cache, lines.Add);
        Assert.Contains("integrated", lines[2], StringComparison.Ordinal);
        FrameDatasets.Build(fixture.Device, events, options with { Frames = 3 }, cache, lines.Add);
        Assert.Contains("integrated", lines[3], StringComparison.Ordinal);
        Assert.Equal(3, Directory.GetFiles(cache, "*.frames").Length);
        Assert.Empty(Directory.GetFiles(cache, "*.tmp"));
    }

    [Fact]
    public void A_corrupt_cache_file_is_ignored_and_rewritten()
    {
        var events = Write(2);
        var options = new FrameOptions(1);
        var cache = Path.Combine(tmp.Path, "cache");
        var good = FrameDatasets.Build(fixture.Device, events, options, cache);
        var file = Directory.GetFiles(cache).Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..40]);
        var lines = new List<string>();
        var again = FrameDatasets.Build(fixture.Device, events, options, cache, lines.Add);
        Assert.Contains("integrated", lines[0], StringComparison.Ordinal);
        Assert.Equal(good.Images, again.Images);
    }
}
