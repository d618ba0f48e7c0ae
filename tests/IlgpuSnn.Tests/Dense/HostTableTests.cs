using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Dense;

/// <summary>
/// <see cref="HostTable"/>, the pinned table of buffers that one host-kernel launch covers: however the summed length is
/// cut among workers, the pieces cover every item of every entry exactly once, in order, with the entry's payload, and
/// exactly one worker of a launch is the last to finish.
/// </summary>
public sealed class HostTableTests(TestDevice fixture)
{
    private static readonly long[] Lengths = [0, 5, 0, 1, 37, 0, 1000, 3, 0];

    [Fact]
    public void Pieces_of_any_cuts_cover_every_item_of_every_entry_once()
    {
        var table = new HostTable(Lengths.Length);
        for (int e = 0; e < Lengths.Length; e++) table.Add(Lengths[e])[HostSegments.PayloadLongs - 1] = 100 + e;
        Assert.Equal(Lengths.Sum(), table.Total);
        var segments = table.Segments;
        foreach (int workers in new[] { 1, 2, 3, 7, 64, 2000 })
        {
            // Cuts at arbitrary points (not GridStride.Chunk's): worker w takes [total·w/workers, total·(w+1)/workers).
            var seen = Lengths.Select(n => new int[n]).ToArray();
            for (int w = 0; w < workers; w++)
            {
                long start = table.Total * w / workers, end = table.Total * (w + 1) / workers;
                long covered = 0;
                foreach (var piece in segments.Range(start, end))
                {
                    int entry = (int)piece[HostSegments.PayloadLongs - 1] - 100;
                    Assert.True(piece.Lo < piece.Hi && piece.Hi <= Lengths[entry] && piece.Length == Lengths[entry], $"{workers} workers, worker {w}: entry {entry} [{piece.Lo}, {piece.Hi})");
                    for (long i = piece.Lo; i < piece.Hi; i++) seen[entry][i]++;
                    covered += piece.Hi - piece.Lo;
                }
                Assert.Equal(end - start, covered);
            }
            for (int e = 0; e < Lengths.Length; e++) Assert.All(seen[e], count => Assert.Equal(1, count));
        }
        GC.KeepAlive(table);
    }

    [Fact]
    public void A_table_refuses_an_entry_beyond_its_capacity_and_a_negative_length()
    {
        var table = new HostTable(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Add(-1));
        table.Add(4);
        Assert.Throws<InvalidOperationException>(() => table.Add(1));
    }

    [Fact]
    public void One_launch_adds_one_to_every_item_and_has_one_last_worker()
    {
        using var device = fixture.CreateFresh();
        if (!device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        using var scope = TensorScope.Begin();
        var buffers = Lengths.Select(n => Tensor.Zeros(device, (int)n)).ToArray();
        var last = Tensor.Zeros(device, 1);
        var table = new HostTable(buffers.Length);
        foreach (var b in buffers) table.Add(b.Length)[0] = HostMemory.Address(b.View);
        device.Kernels.Load<HostSegments, long>(CoverKernel)(device.Launch.GridStride(table.Total), table.Segments, HostMemory.Address(last.View));
        GC.KeepAlive(table);
        foreach (var b in buffers) Assert.All(b.ToArray(), v => Assert.Equal(1f, v));
        Assert.Equal(1f, last.ToArray()[0]);
    }

    /// <summary>Adds 1 to every item of the table's buffers; the last worker to finish adds 1 to *last.</summary>
    [Kernel(UnsupportedBackends = ["cuda", "opencl"], Reason = "test of the CPU accelerator's host tables")]
    internal static unsafe void CoverKernel(HostSegments table, long last)
    {
        foreach (var piece in table.Share())
        {
            float* x = piece.Floats(0);
            for (long i = piece.Lo; i < piece.Hi; i++) x[i] += 1f;
        }
        if (table.LastToFinish()) *(float*)last += 1f;
    }
}
