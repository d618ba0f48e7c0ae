using System.Text;
using IlgpuSnn.Data.Events;
using IlgpuSnn.Tests.Data;
using static IlgpuSnn.Tests.Data.Events.EventBytes;

using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Data.Events;

public sealed class EventDatasetsTests : IDisposable
{
    private readonly TempFolder tmp = new();

    public void Dispose() => tmp.Dispose();

    [Fact]
    public void Gesture_labels_map_classes_1_to_11_onto_0_to_10()
    {
        var csv = Encoding.ASCII.GetBytes("class,startTime_usec,endTime_usec\r\n1,100,200\r\n11,300,450\r\n");
        var s = EventDatasets.ParseGestureLabels("l.csv", "u.aedat", csv);
        Assert.Equal([new EventSample("u.aedat", 0, 100, 200), new EventSample("u.aedat", 10, 300, 450)], s);
    }

    [Theory]
    [InlineData("class,startTime_usec,endTime_usec\n1,100,200\n12,300,450\n", 44, "class 12 is outside 1–11")]
    [InlineData("class,startTime_usec,endTime_usec\n0,1,2\n", 34, "class 0 is outside")]
    [InlineData("1,100,200\n2,500,400\n", 10, "empty or negative")]
    [InlineData("1,100\n", 0, "is not 'class,startTime_usec,endTime_usec'")]
    public void Gesture_labels_reject_bad_lines_at_their_offset(string text, int offset, string what)
    {
        var ex = Assert.Throws<InvalidDataException>(() => EventDatasets.ParseGestureLabels("l.csv", "u.aedat", Encoding.ASCII.GetBytes(text)));
        Assert.StartsWith($"l.csv: at byte {offset}:", ex.Message, StringComparison.Ordinal);
        Assert.Contains(what, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gesture_folder_slices_each_labelled_interval()
    {
        File.WriteAllText(tmp.File("trials_to_train.txt"), "user01_led.aedat\n");
        File.WriteAllText(tmp.File("trials_to_test.txt"), "\n");
        File.WriteAllText(tmp.File("user01_led_labels.csv"), "class,startTime_usec,endTime_usec\n3,10,30\n5,30,41\n");
        File.WriteAllBytes(tmp.File("user01_led.aedat"), Concat(Aedat3Header(), PacketHeader(1, 8, 0, 4, 4, 4),
            Polarity(1, 1, 1, 5), Polarity(2, 2, 1, 10), Polarity(3, 3, 0, 29), Polarity(4, 4, 1, 40)));
        var (train, test) = EventDatasets.DvsGesture(tmp.Path);
        Assert.Equal(0, test.Count);
        Assert.Equal([2, 4], train.Samples.Select(s => s.Label));
        Assert.Equal([2, 3], train.Load(0).X);
        Assert.Equal([4], train.Load(1).X);
    }

    [Fact]
    public void Wrong_folders_fail_with_a_message_that_states_the_layout()
    {
        var ex = Assert.Throws<DirectoryNotFoundException>(() => EventDatasets.NMnist(tmp.Path));
        Assert.Contains("Train/ and Test/", ex.Message, StringComparison.Ordinal);
        Assert.Contains("trials_to_train.txt", Assert.Throws<DirectoryNotFoundException>(() => EventDatasets.DvsGesture(tmp.Path)).Message, StringComparison.Ordinal);
        Assert.Contains("no class folders", Assert.Throws<DirectoryNotFoundException>(() => EventDatasets.Cifar10Dvs(tmp.Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nmnist_folders_are_listed_round_robin_over_classes()
    {
        foreach (var split in new[] { "Train", "Test" })
            for (int c = 0; c < 3; c++)
            {
                var dir = Path.Combine(tmp.Path, split, c.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                for (int i = 0; i < 2; i++) File.WriteAllBytes(Path.Combine(dir, $"{i:D5}.bin"), NMnist(c, i, 1, 5));
            }
        var (train, _) = EventDatasets.NMnist(tmp.Path);
        Assert.Equal([0, 1, 2, 0, 1, 2], train.Samples.Select(s => s.Label));
        Assert.Equal(3, train.Classes);
        Assert.Equal([2], train.Load(2).X);
        Assert.Equal([1], train.Load(5).Y);
    }

    [Fact]
    public void Cifar10Dvs_split_is_nine_to_one_per_class_disjoint_and_seeded()
    {
        string[] classes = ["airplane", "automobile"];
        foreach (var c in classes)
        {
            Directory.CreateDirectory(Path.Combine(tmp.Path, c));
            for (int i = 0; i < 20; i++) File.WriteAllBytes(Path.Combine(tmp.Path, c, $"cifar10_{c}_{i}.aedat"), Aedat2Header());
        }
        var (train, test) = EventDatasets.Cifar10Dvs(tmp.Path, seed: 7);
        Assert.Equal(36, train.Count);
        Assert.Equal(4, test.Count);
        Assert.Equal(2, test.Samples.Count(s => s.Label == 1));
        Assert.Empty(train.Samples.Select(s => s.Path).Intersect(test.Samples.Select(s => s.Path)));
        Assert.Equal(40, train.Samples.Concat(test.Samples).Select(s => s.Path).Distinct().Count());
        Assert.All(test.Samples, s => Assert.Contains(classes[s.Label], s.Path, StringComparison.Ordinal));
        var again = EventDatasets.Cifar10Dvs(tmp.Path, seed: 7).Test.Samples.Select(s => s.Path);
        Assert.Equal(test.Samples.Select(s => s.Path), again);
        var other = Enumerable.Range(8, 5).Select(s => EventDatasets.Cifar10Dvs(tmp.Path, s).Test.Samples.Select(x => x.Path).ToHashSet());
        Assert.Contains(other, set => !set.SetEquals(test.Samples.Select(s => s.Path)));
    }
}
