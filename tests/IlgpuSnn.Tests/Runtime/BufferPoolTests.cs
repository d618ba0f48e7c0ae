using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Runtime;

public sealed class BufferPoolTests(TestDevice fixture)
{
    [Fact]
    public void Counters_are_exact_and_steady_state_allocates_nothing()
    {
        using var device = fixture.CreateFresh();
        var pool = device.Pool;
        Assert.Equal(0, pool.LiveBytes);
        for (int step = 0; step < 5; step++)
        {
            using var scope = TensorScope.Begin();
            var a = Tensor.Zeros(device, 3, 100);
            var b = Tensor.Zeros(device, 1000);
            var c = Ops.Add(a, a);
            Assert.Equal((300 + 1000 + 300) * 4, pool.LiveBytes);
            if (step == 0) Assert.Equal(3, pool.DeviceAllocations);
        }
        Assert.Equal(0, pool.LiveBytes);
        Assert.Equal(3, pool.DeviceAllocations);
        Assert.Equal((300 + 1000 + 300) * 4, pool.PeakBytes);
        pool.ResetPeak();
        Assert.Equal(0, pool.PeakBytes);
    }

    [Fact]
    public void Views_share_memory_and_release_it_with_the_last_handle()
    {
        using var device = fixture.CreateFresh();
        var t = Tensor.FromArray(device, [1, 2, 3, 4, 5, 6], 2, 3);
        var v = t.Reshape(3, 2);
        var s = t.Slice(1, 1);
        Assert.Equal(24, device.Pool.LiveBytes);
        Assert.Equal([4f, 5f, 6f], s.ToArray());
        t.Dispose();
        Assert.Equal(24, device.Pool.LiveBytes);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], v.ToArray());
        v.Dispose();
        s.Dispose();
        Assert.Equal(0, device.Pool.LiveBytes);
        Assert.Equal(1, device.Pool.DeviceAllocations);
    }

    [Fact]
    public void Size_classes_bound_the_rounding()
    {
        foreach (long n in new long[] { 1, 64, 65, 1000, 262_144, 262_145, 1_000_000, 123_456_789 })
        {
            long c = BufferPool.SizeClass(n);
            Assert.True(c >= n);
            Assert.True(c <= Math.Max(64, n * 1.125 + 128), $"{n} -> {c}");
        }
    }

    [Fact]
    public void Use_after_dispose_names_the_operation()
    {
        var t = Tensor.Zeros(fixture.Device, 2, 2);
        t.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => t.ToArray());
        Assert.Contains("ToArray", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 2]", e.Message, StringComparison.Ordinal);
    }
}
