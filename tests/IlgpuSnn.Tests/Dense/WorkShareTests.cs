using IlgpuSnn.Kernels;

namespace IlgpuSnn.Tests.Dense;

/// <summary>
/// <see cref="GridStride.Share"/>, the split of a host GEMM's rows or columns among its workers: together the shares
/// cover every item exactly once, in worker order, each starting on a whole unit (a register-block strip).
/// </summary>
public sealed class WorkShareTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(32)]
    public void Shares_cover_every_item_once_in_whole_units(int unit)
    {
        foreach (int count in new[] { 0, 1, 15, 16, 17, 100, 1037 })
            foreach (int threads in new[] { 1, 2, 3, 7, 64 })
            {
                int next = 0, busiest = 0;
                for (int thread = 0; thread < threads; thread++)
                {
                    var (start, end) = GridStride.Share(count, unit, thread, threads);
                    string what = $"count {count} unit {unit} worker {thread}/{threads}: [{start}, {end})";
                    if (start >= end) { Assert.True(start == count && end == count, what); continue; }
                    Assert.True(start == next && end <= count && start % unit == 0, what);
                    busiest = Math.Max(busiest, end - start);
                    next = end;
                }
                Assert.Equal(count, next);
                // Equal shares: no worker has more than its fair number of whole units.
                int units = (count + unit - 1) / unit;
                Assert.True(busiest <= (units + threads - 1) / threads * unit, $"count {count} unit {unit} threads {threads}: a share of {busiest}");
            }
    }
}
