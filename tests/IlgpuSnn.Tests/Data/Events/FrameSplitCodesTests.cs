using IlgpuSnn.Data.Events;
using IlgpuSnn.Kernels;

namespace IlgpuSnn.Tests.Data.Events;

/// <summary>The integration kernel receives a <see cref="FrameSplit"/> as its integer value: the codes must agree.</summary>
public sealed class FrameSplitCodesTests
{
    [Fact]
    public void Every_split_rule_has_the_kernel_code_of_its_name()
    {
        Assert.Equal(FrameKernels.SplitByCount, (int)FrameSplit.Count);
        Assert.Equal(FrameKernels.SplitByTime, (int)FrameSplit.Time);
        Assert.Equal(FrameKernels.SplitByDuration, (int)FrameSplit.Duration);
        Assert.Equal(3, Enum.GetValues<FrameSplit>().Length);
    }
}
