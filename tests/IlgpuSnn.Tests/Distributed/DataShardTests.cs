using IlgpuSnn.Data;
using IlgpuSnn.Distributed;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Distributed;

/// <summary>The distributed sampler: disjoint parts whose union, in rank order, is the single-process batch.</summary>
public sealed class DataShardTests(TestDevice fixture)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void The_parts_of_all_ranks_tile_every_batch_in_order(int ranks)
    {
        foreach (int length in new[] { 4, 5, 7, 64 })
        {
            int next = 10;
            for (int r = 0; r < ranks; r++)
            {
                var (start, count) = new DataShard(r, ranks).Part(10, length);
                Assert.Equal(next, start);
                Assert.InRange(count, length / ranks, (length + ranks - 1) / ranks);
                next += count;
            }
            Assert.Equal(10 + length, next);
        }
    }

    [Fact]
    public void Batches_per_epoch_match_a_single_process_except_a_last_batch_smaller_than_the_ranks()
    {
        Assert.Equal(938, DataShard.Whole.Batches(60000, 64, dropLast: false));
        Assert.Equal(937, DataShard.Whole.Batches(60000, 64, dropLast: true));
        Assert.Equal(938, new DataShard(1, 2).Batches(60000, 64, dropLast: false));
        Assert.Equal(4, new DataShard(0, 3).Batches(24, 7, dropLast: false));
        Assert.Equal(3, new DataShard(0, 3).Batches(24, 7, dropLast: true));
        Assert.Equal(3, new DataShard(0, 3).Batches(23, 7, dropLast: false));
        Assert.Equal(4, DataShard.Whole.Batches(23, 7, dropLast: false));
        Assert.Throws<ArgumentException>(() => new DataShard(0, 4).Batches(100, 3, dropLast: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataShard(2, 2));
    }

    [Fact]
    public void Loaders_of_three_ranks_together_yield_the_single_process_batches()
    {
        var images = Enumerable.Range(0, 24 * 4).Select(i => (float)i).ToArray();
        var labels = Enumerable.Range(0, 24).Select(i => i % 3).ToArray();
        var data = new ImageDataset(images, labels, 1, 2, 2, 3);
        var device = fixture.Device;
        var single = new DataLoader(device, data, 7, shuffle: true, seed: 9);
        var shards = Enumerable.Range(0, 3).Select(r => new DataLoader(device, data, 7, shuffle: true, seed: 9) { Shard = new DataShard(r, 3) }).ToArray();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var expected = single.Epoch(epoch).Select(b => { using (b) return b.Images.ToArray(); }).ToList();
            var parts = shards.Select(l => l.Epoch(epoch).Select(b => { using (b) return b.Images.ToArray(); }).ToList()).ToArray();
            Assert.All(parts, p => Assert.Equal(expected.Count, p.Count));
            for (int b = 0; b < expected.Count; b++)
                Assert.Equal(expected[b], parts.SelectMany(p => p[b]).ToArray());
        }
    }

    [Fact]
    public void The_launcher_is_read_from_the_environment()
    {
        var none = LaunchEnvironment.Detect(_ => null);
        Assert.False(none.Launched);
        var ompi = LaunchEnvironment.Detect(n => n switch { "OMPI_COMM_WORLD_SIZE" => "4", "OMPI_COMM_WORLD_RANK" => "3", "OMPI_COMM_WORLD_LOCAL_RANK" => "1", _ => null });
        Assert.Equal(new LaunchEnvironment(true, 3, 4, 1), ompi);
        var pmix = LaunchEnvironment.Detect(n => n == "PMIX_RANK" ? "2" : null);
        Assert.Equal(new LaunchEnvironment(true, 2, null, null), pmix);
        Assert.False(LaunchEnvironment.Detect(n => n == "PMI_SIZE" ? "x" : null).Launched);
    }
}
