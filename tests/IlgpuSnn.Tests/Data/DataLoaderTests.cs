using IlgpuSnn.Data;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Data;

public sealed class DataLoaderTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    /// <summary>N samples of shape [1, 1, 2]: pixel 0 = index / 1000, pixel 1 = 0.5; label = index % 3.</summary>
    private static ImageDataset Numbered(int n)
    {
        var images = new float[n * 2];
        for (int i = 0; i < n; i++)
        {
            images[2 * i] = i / 1000f;
            images[2 * i + 1] = 0.5f;
        }
        return new ImageDataset(images, Enumerable.Range(0, n).Select(i => i % 3).ToArray(), 1, 1, 2, classes: 3);
    }

    /// <summary>Runs an epoch, checks each batch's internal consistency, returns the sample indices and batch sizes.</summary>
    private static (List<int> Order, List<int> Sizes) Run(IEnumerable<Batch> batches)
    {
        var order = new List<int>();
        var sizes = new List<int>();
        foreach (var batch in batches)
        {
            using (batch)
            {
                Assert.Equal([batch.Size, 1, 1, 2], batch.Images.ShapeArray());
                Assert.Equal([batch.Size], batch.Labels.ShapeArray());
                var img = batch.Images.ToArray();
                var lab = batch.Labels.ToArray();
                for (int k = 0; k < batch.Size; k++)
                {
                    int index = (int)Math.Round(img[2 * k] * 1000);
                    Assert.Equal(0.5f, img[2 * k + 1]);
                    Assert.Equal(index % 3, batch.LabelArray[k]);
                    Assert.Equal(index % 3, lab[k]);
                    order.Add(index);
                }
                sizes.Add(batch.Size);
            }
        }
        return (order, sizes);
    }

    [Fact]
    public void Every_sample_once_per_epoch_with_a_partial_last_batch()
    {
        var loader = new DataLoader(D, Numbered(50), batchSize: 8, shuffle: true, seed: 5);
        Assert.Equal(7, loader.BatchesPerEpoch);
        var (order, sizes) = Run(loader.Epoch(0));
        Assert.Equal(Enumerable.Range(0, 50), order.Order());
        Assert.Equal([8, 8, 8, 8, 8, 8, 2], sizes);
        Assert.NotEqual(Enumerable.Range(0, 50), order); // shuffled
    }

    [Fact]
    public void DropLast_drops_the_partial_batch()
    {
        var loader = new DataLoader(D, Numbered(50), batchSize: 8, shuffle: true, seed: 5, dropLast: true);
        Assert.Equal(6, loader.BatchesPerEpoch);
        var (order, sizes) = Run(loader.Epoch(3));
        Assert.Equal([8, 8, 8, 8, 8, 8], sizes);
        Assert.Equal(48, order.Distinct().Count());
        Assert.All(order, i => Assert.InRange(i, 0, 49));
    }

    [Fact]
    public void Without_shuffle_the_order_is_the_dataset_order()
    {
        var loader = new DataLoader(D, Numbered(10), batchSize: 4, shuffle: false, seed: 5);
        var (order, sizes) = Run(loader.Epoch(2));
        Assert.Equal(Enumerable.Range(0, 10), order);
        Assert.Equal([4, 4, 2], sizes);
    }

    [Fact]
    public void Order_is_reproducible_per_seed_and_epoch()
    {
        var data = Numbered(50);
        var a = new DataLoader(D, data, 16, shuffle: true, seed: 42);
        var b = new DataLoader(D, data, 16, shuffle: true, seed: 42);
        var c = new DataLoader(D, data, 16, shuffle: true, seed: 43);
        var a1 = Run(a.Epoch(1)).Order;
        Assert.Equal(a1, Run(b.Epoch(1)).Order); // a resumed run sees the same order
        Assert.NotEqual(a1, Run(a.Epoch(2)).Order); // epochs differ
        Assert.NotEqual(a1, Run(c.Epoch(1)).Order); // seeds differ
        Assert.Equal(a1, a.Order(1));
    }

    [Fact]
    public void Plain_enumeration_visits_successive_epochs()
    {
        var loader = new DataLoader(D, Numbered(20), 6, shuffle: true, seed: 1);
        Assert.Equal(loader.Order(0), Run(loader).Order);
        Assert.Equal(loader.Order(1), Run(loader).Order);
        Assert.Equal(2, loader.NextEpoch);
    }

    [Fact]
    public void Shuffle_is_roughly_uniform()
    {
        // Position of sample 0 over 3000 epochs of 5 samples: each position ~600 times (sd ~22).
        var loader = new DataLoader(D, Numbered(5), 5, shuffle: true, seed: 9);
        var where = new int[5];
        for (int e = 0; e < 3000; e++) where[Array.IndexOf(loader.Order(e), 0)]++;
        Assert.All(where, c => Assert.InRange(c, 600 - 110, 600 + 110));
    }

    [Fact]
    public void Batches_outlive_the_enclosing_scope()
    {
        var loader = new DataLoader(D, Numbered(10), 4, shuffle: false, seed: 0);
        Batch batch;
        Tensor temp;
        using (TensorScope.Begin())
        {
            using var e = loader.Epoch(0).GetEnumerator();
            Assert.True(e.MoveNext());
            batch = e.Current;
            temp = Tensor.Zeros(D, 3);
        }
        Assert.True(temp.IsDisposed); // the scope still owns what is created beside the loader
        Assert.False(batch.Images.IsDisposed);
        Assert.False(batch.Labels.IsDisposed);
        Assert.Equal([0, 1, 2, 0], batch.LabelArray);
        batch.Dispose();
        Assert.True(batch.Images.IsDisposed);
    }

    [Fact]
    public void Bad_batch_size_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(D, Numbered(3), 0, false, 0));
    }
}
