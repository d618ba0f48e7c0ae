using IlgpuSnn.Kernels;
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

    [Fact]
    public void Large_host_blocks_start_on_a_huge_page_and_are_backed_by_huge_pages()
    {
        if (fixture.IsGpu) Assert.Skip("huge-page blocks are the CPU accelerator's (host memory)");
        if (!HugePages.Available) Assert.Skip("no madvise here (not Linux)");
        string mode = File.Exists(ThpSetting) ? File.ReadAllText(ThpSetting) : "";
        using var device = fixture.CreateFresh();
        long floats = 3 * HugePages.Bytes / sizeof(float) + 1000;
        using (var a = Tensor.Full(device, 1f, (int)floats))
        {
            long address = HostMemory.Address(a.View);
            Assert.Equal(0, address % HugePages.Bytes);
            Assert.Equal(floats, a.View.Length);
            Assert.Equal(BufferPool.SizeClass(floats) * sizeof(float), device.Pool.ReservedBytes);
            if (!mode.Contains("[madvise]", StringComparison.Ordinal) && !mode.Contains("[always]", StringComparison.Ordinal))
                Assert.Skip($"transparent huge pages are off here ({ThpSetting}: {mode.Trim()})");
            Assert.True(AnonHugePagesKb(address) >= HugePages.Bytes / 1024, $"no huge page backs the block at 0x{address:x}");
        }
        using (var b = Tensor.Full(device, 2f, (int)floats))
        {
            Assert.Equal(1, device.Pool.DeviceAllocations);
            Assert.All(b.ToArray(), v => Assert.Equal(2f, v));
        }
        device.Pool.ReleaseCached();
        Assert.Equal(0, device.Pool.ReservedBytes);
    }

    [Fact]
    public void Advice_covers_only_whole_huge_pages_inside_the_range()
    {
        if (!HugePages.Available) Assert.Skip("no madvise here (not Linux)");
        Assert.Equal(0, HugePages.Advise(0, HugePages.Bytes - 1));
        Assert.Equal(0, HugePages.Advise((nint)HugePages.Bytes + 4096, HugePages.Bytes));
        Assert.Equal(4L << 20, HugePages.AlignUp((2L << 20) + 1, 2L << 20));
        Assert.Equal(2L << 20, HugePages.AlignUp(2L << 20, 2L << 20));
    }

    private const string ThpSetting = "/sys/kernel/mm/transparent_hugepage/enabled";

    /// <summary>The AnonHugePages of the mapping that holds <paramref name="address"/>, from /proc/self/smaps.</summary>
    private static long AnonHugePagesKb(long address)
    {
        bool inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal), space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && long.TryParse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, null, out long lo)
                && long.TryParse(line.AsSpan(dash + 1, space - dash - 1), System.Globalization.NumberStyles.HexNumber, null, out long hi))
            {
                inside = lo <= address && address < hi;
                continue;
            }
            if (inside && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                return long.Parse(line["AnonHugePages:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
