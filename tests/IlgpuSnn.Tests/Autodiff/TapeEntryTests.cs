using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Autodiff;

/// <summary>
/// The one recording mechanism (<see cref="TapeEntry"/>) as a user writing a custom differentiable op sees it:
/// y = x ⊙ c with c kept for the backward, whose gradient is g ⊙ c (hand-derived).
/// </summary>
public sealed class TapeEntryTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    /// <summary>The custom op: y = x ⊙ c, recorded through the entry; c is kept, x is not.</summary>
    private static Tensor ScaleBy(Tensor x, Tensor c)
    {
        var y = Ops.Multiply(x.Detach(), c.Detach());
        if (Tape.Begin("ScaleBy", x) is not { } entry) return y;
        var keptC = entry.Keep(c);
        entry.Complete(y, g => [Ops.Multiply(g[0]!, keptC)]);
        return y;
    }

    [Fact]
    public void A_custom_op_records_once_keeps_what_it_asked_for_and_back_propagates()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(D, [1f, -2f, 3f], 3).RequireGrad();
        var c = Tensor.FromArray(D, [0.5f, 4f, -1f], 3);
        using var tape = new Tape();
        Tensor y;
        using (tape.Record()) y = ScaleBy(x, c);
        Assert.Equal(1, tape.NodeCount);
        Assert.True(y.RequiresGrad);
        Assert.Equal(3 * sizeof(float), tape.SavedBytes);
        tape.Backward(y, Tensor.FromArray(D, [1f, 2f, 3f], 3));
        Assert.Equal([0.5f, 8f, -3f], x.Grad!.ToArray());
        Assert.Equal(0, tape.NodeCount);
        Assert.Equal(0, tape.SavedBytes);
    }

    [Fact]
    public void Nothing_is_recorded_without_a_tape_or_without_an_input_that_requires_a_gradient()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(D, [1f, 2f], 2);
        var c = Tensor.FromArray(D, [3f, 4f], 2);
        Assert.Null(Tape.Begin("ScaleBy", x.RequireGrad()));
        using var tape = new Tape();
        using (tape.Record())
        {
            Assert.Null(Tape.Begin("ScaleBy", c, null));
            Assert.False(ScaleBy(c, x).RequiresGrad);
        }
        Assert.Equal(0, tape.NodeCount);
    }

    [Fact]
    public void A_completed_entry_refuses_to_keep_or_complete_again()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(D, [1f], 1).RequireGrad();
        using var tape = new Tape();
        using var recording = tape.Record();
        var entry = Tape.Begin("Twice", x)!;
        var y = Ops.Clone(x.Detach());
        entry.Complete(y, g => [g[0]]);
        var error = Assert.Throws<InvalidOperationException>(() => entry.Complete(y, g => [g[0]]));
        Assert.Contains("Twice", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => entry.Keep(x));
    }
}
