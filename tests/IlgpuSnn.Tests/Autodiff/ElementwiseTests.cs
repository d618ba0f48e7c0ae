using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Autodiff;

public sealed class ElementwiseTests(TestDevice fixture)
{
    private Device D => fixture.Device;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Forward_matches_plain_loops(bool hostKernels)
    {
        // Both kernel forms run here: the CPU accelerator's host-pointer kernels and the portable ones GPUs use.
        using var device = fixture.CreateFresh();
        if (!hostKernels) device.Launch.UseHostKernels = false;
        else if (!device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        var D = device;
        var a = Rand.Uniform(1001, 1);
        var b = Rand.Uniform(1001, 2, 0.5f, 2f);
        using var scope = TensorScope.Begin();
        var ta = Tensor.FromArray(D, a, 7, 11, 13);
        var tb = Tensor.FromArray(D, b, 7, 11, 13);
        Close.Relative(a.Zip(b, (x, y) => (double)x + y), Ops.Add(ta, tb).ToArray(), 1e-5);
        Close.Relative(a.Zip(b, (x, y) => (double)x * y), Ops.Multiply(ta, tb).ToArray(), 1e-5);
        Close.Relative(a.Zip(b, (x, y) => (double)x / y), Ops.Divide(ta, tb).ToArray(), 1e-5);
        Close.Relative(a.Select(x => 1 / (1 + Math.Exp(-x))), Ops.Sigmoid(ta).ToArray(), 1e-5);
        Close.Relative(b.Select(x => Math.Log(x)), Ops.Log(tb).ToArray(), 1e-5);
        Close.Relative(a.Select(x => (double)Math.Max(x, 0)), Ops.Relu(ta).ToArray(), 1e-5);
        Close.Relative(a.Zip(b, (x, y) => 0.5 * x - 2.0 * y), Axpby(D, 0.5f, ta, -2f, tb), 1e-5);
        Close.Relative(a.Select(_ => 3.5), Tensor.Full(D, 3.5f, 7, 11, 13).ToArray(), 1e-5);
        Close.Relative(a.Select(x => (double)x), Ops.Clone(ta).ToArray(), 1e-5);
        using var tape = new IlgpuSnn.Autodiff.Tape();
        var leaf = Tensor.FromArray(D, a, 7, 11, 13).RequireGrad();
        Tensor y;
        using (tape.Record()) y = Ops.Tanh(leaf);
        tape.Backward(y, tb);
        Close.Relative(a.Zip(b, (x, g) => g * (1 - Math.Tanh(x) * Math.Tanh(x))), leaf.Grad!.ToArray(), 1e-4);
    }

    private static float[] Axpby(Device device, float alpha, Tensor x, float beta, Tensor y)
    {
        var result = Ops.Clone(y);
        IlgpuSnn.Kernels.Elementwise.Axpby(device, alpha, x.View, beta, result.View);
        return result.ToArray();
    }

    [Fact]
    public void Shape_mismatch_names_operation_and_shapes()
    {
        using var a = Tensor.Zeros(D, 2, 3);
        using var b = Tensor.Zeros(D, 3, 2);
        var e = Assert.Throws<ArgumentException>(() => Ops.Add(a, b));
        Assert.Contains("Add", e.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 2]", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mul")]
    [InlineData("div")]
    [InlineData("sub")]
    [InlineData("max")]
    [InlineData("exp")]
    [InlineData("tanh")]
    [InlineData("sqrt")]
    [InlineData("chain")]
    public void Backward_matches_finite_differences(string op)
    {
        Func<Tensor[], Tensor> f = op switch
        {
            "mul" => x => Ops.Multiply(x[0], x[1]),
            "div" => x => Ops.Divide(x[0], x[1]),
            "sub" => x => Ops.Subtract(x[0], x[1]),
            "max" => x => Ops.Maximum(x[0], x[1]),
            "exp" => x => Ops.Exp(x[0]),
            "tanh" => x => Ops.Tanh(x[0]),
            "sqrt" => x => Ops.Sqrt(x[1]),
            _ => x => Ops.Multiply(Ops.Sigmoid(Ops.Add(x[0], x[1])), Ops.Square(x[0]).Reshape(5, 3)),
        };
        GradientCheck.Assert(D, f, [(Rand.Uniform(15, 3), [5, 3]), (Rand.Uniform(15, 4, 0.5f, 2f), [5, 3])], eps: 1e-3);
    }

    [Fact]
    public void Gradients_accumulate_over_backward_calls_and_detach_stops_them()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(D, [1f, 2f, 3f], 3).RequireGrad();
        for (int i = 0; i < 2; i++)
        {
            using var tape = new IlgpuSnn.Autodiff.Tape();
            Tensor y;
            using (tape.Record()) y = Ops.Add(Ops.Square(x), Ops.Square(x.Detach()));
            Assert.Equal(2, tape.NodeCount);
            tape.Backward(y);
        }
        Assert.Equal([4f, 8f, 12f], x.Grad!.ToArray());
    }

    /// <summary>
    /// The sum of k consecutive slices (a sequence's read-outs summed over time) equals a plain loop of float additions
    /// in slice order, bit for bit, in both kernel forms, replacing or adding to what the target holds.
    /// </summary>
    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 5)]
    [InlineData(false, 1)]
    [InlineData(false, 5)]
    public void Sum_of_slices_adds_in_slice_order(bool hostKernels, int count)
    {
        using var device = fixture.CreateFresh();
        if (!hostKernels) device.Launch.UseHostKernels = false;
        else if (!device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        const int n = 133;
        var x = Rand.Uniform(n * count, 7, -3f, 3f);
        var start = Rand.Uniform(n, 8);
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(device, x, count, n);
        var replaced = Tensor.FromArray(device, start, n);
        var added = Tensor.FromArray(device, start, n);
        long before = device.Activity.KernelLaunches;
        Ops.SumStepsInto(tx, replaced, count, accumulate: false);
        Ops.SumStepsInto(tx, added, count, accumulate: true);
        Assert.Equal(2, device.Activity.KernelLaunches - before);
        var expectReplaced = new float[n];
        var expectAdded = (float[])start.Clone();
        for (int i = 0; i < n; i++)
        {
            expectReplaced[i] = x[i];
            for (int s = 1; s < count; s++) expectReplaced[i] += x[(s * n) + i];
            for (int s = 0; s < count; s++) expectAdded[i] += x[(s * n) + i];
        }
        Assert.Equal(expectReplaced, replaced.ToArray());
        Assert.Equal(expectAdded, added.ToArray());
        Assert.Throws<ArgumentException>(() => Ops.SumStepsInto(tx, Tensor.Empty(device, n + 1), count, accumulate: false));
    }

    /// <summary>
    /// A trace step â[t] = λ·â[t−1] + c·x[t] as one new tensor equals the float expression λ·â + c·x of a plain loop bit
    /// for bit, in both kernel forms (c = 1 and c = 0.4); at the first step it is x itself without a launch (c = 1) or
    /// c·x in one launch.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Next_trace_is_one_launch_of_decay_times_previous_plus_input(bool hostKernels)
    {
        using var device = fixture.CreateFresh();
        if (!hostKernels) device.Launch.UseHostKernels = false;
        else if (!device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        var x = Rand.Uniform(301, 3);
        var previous = Rand.Uniform(301, 4, -2f, 2f);
        using var scope = TensorScope.Begin();
        var tx = Tensor.FromArray(device, x, 7, 43);
        var tp = Tensor.FromArray(device, previous, 7, 43);
        long before = device.Activity.KernelLaunches;
        var first = Ops.NextTrace(tx, 0.75f, null);
        Assert.Equal(0, device.Activity.KernelLaunches - before);
        var next = Ops.NextTrace(tx, 0.75f, tp);
        var scaledFirst = Ops.NextTrace(tx, 0.75f, null, 0.4f);
        var scaledNext = Ops.NextTrace(tx, 0.75f, tp, 0.4f);
        Assert.Equal(3, device.Activity.KernelLaunches - before);
        Assert.Equal(x, first.ToArray());
        Assert.Equal(x.Select((v, i) => (0.75f * previous[i]) + (1f * v)).ToArray(), next.ToArray());
        Assert.Equal(x.Select(v => 0.4f * v).ToArray(), scaledFirst.ToArray());
        Assert.Equal(x.Select((v, i) => (0.75f * previous[i]) + (0.4f * v)).ToArray(), scaledNext.ToArray());
        Assert.Equal([7, 43], next.Shape);
    }

    /// <summary>
    /// α·a + bias (broadcast over rows) + β·b in one launch equals the float expression of a plain loop bit for bit, in
    /// both kernel forms, with and without the bias and the b term; its gradients are α·g into a and the column sums of
    /// g into the bias (a double-precision loop), and b receives none.
    /// </summary>
    [Theory]
    [InlineData(true, true, true)]
    [InlineData(true, false, true)]
    [InlineData(true, true, false)]
    [InlineData(false, true, true)]
    [InlineData(false, false, false)]
    public void Scale_add_bias_is_one_launch_of_the_loop_expression(bool hostKernels, bool withBias, bool withPrevious)
    {
        using var device = fixture.CreateFresh();
        if (!hostKernels) device.Launch.UseHostKernels = false;
        else if (!device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        const int rows = 9, columns = 13;
        const float alpha = 1.75f, beta = -0.6f;
        var a = Rand.Uniform(rows * columns, 5, -2f, 2f);
        var b = Rand.Uniform(rows * columns, 6, -2f, 2f);
        var bias = Rand.Uniform(columns, 7, -1f, 1f);
        var g = Rand.Uniform(rows * columns, 8, -1f, 1f);
        using var scope = TensorScope.Begin();
        var ta = Tensor.FromArray(device, a, rows, columns).RequireGrad();
        var tb = withPrevious ? Tensor.FromArray(device, b, rows, columns) : null;
        var tbias = withBias ? Tensor.FromArray(device, bias, columns).RequireGrad() : null;
        var expected = new float[rows * columns];
        for (int i = 0; i < expected.Length; i++)
        {
            float v = alpha * a[i];
            if (withBias) v += bias[i % columns];
            if (withPrevious) v += beta * b[i];
            expected[i] = v;
        }
        using var tape = new IlgpuSnn.Autodiff.Tape();
        long before = device.Activity.KernelLaunches;
        Tensor y;
        using (tape.Record()) y = Ops.ScaleAddBias(ta, alpha, tbias, tb, beta);
        Assert.Equal(1, device.Activity.KernelLaunches - before);
        Assert.Equal(expected, y.ToArray());
        var into = Tensor.Zeros(device, rows, columns);
        Ops.ScaleAddBiasInto(into, ta, alpha, tbias, tb, beta);
        Assert.Equal(expected, into.ToArray());
        tape.Backward(y, Tensor.FromArray(device, g, rows, columns));
        Close.Relative(g.Select(v => (double)alpha * v), ta.Grad!.ToArray(), 1e-6);
        if (withBias)
        {
            var sums = new double[columns];
            for (int i = 0; i < g.Length; i++) sums[i % columns] += g[i];
            Close.Relative(sums, tbias!.Grad!.ToArray(), 1e-5);
        }
    }

    /// <summary>
    /// Several additions (or copies) of one or more slices into separate targets at once equal a plain loop of float
    /// additions in slice order bit for bit, in both kernel forms; the CPU accelerator's form is one launch for all.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Pairs_are_added_or_copied_in_one_launch(bool hostKernels)
    {
        using var device = fixture.CreateFresh();
        if (!hostKernels) device.Launch.UseHostKernels = false;
        else if (!device.Launch.UseHostKernels) Assert.Skip("host-pointer kernels exist on the CPU accelerator only");
        int[] lengths = [97, 1, 530, 13, 20, 7];
        bool[] replace = [false, true, false, true, false, true];
        int[] slices = [1, 1, 1, 1, 3, 2];
        var ys = lengths.Select((n, j) => Rand.Uniform(n, 40 + j)).ToArray();
        var xs = lengths.Select((n, j) => Rand.Uniform(n * slices[j], 50 + j, -5f, 5f)).ToArray();
        using var scope = TensorScope.Begin();
        var ty = ys.Select(y => Tensor.FromArray(device, y, y.Length)).ToArray();
        var tx = xs.Select(x => Tensor.FromArray(device, x, x.Length)).ToArray();
        long before = device.Activity.KernelLaunches;
        IlgpuSnn.Kernels.Elementwise.AddPairs(device, ty.Select((y, j) => new IlgpuSnn.Kernels.ElementwisePair(y.View, tx[j].View, replace[j], slices[j])).ToArray());
        if (hostKernels) Assert.Equal(1, device.Activity.KernelLaunches - before);
        for (int j = 0; j < lengths.Length; j++)
        {
            var expected = new float[lengths[j]];
            for (int i = 0; i < expected.Length; i++)
            {
                expected[i] = replace[j] ? xs[j][i] : ys[j][i] + xs[j][i];
                for (int k = 1; k < slices[j]; k++) expected[i] += xs[j][(k * lengths[j]) + i];
            }
            Assert.Equal(expected, ty[j].ToArray());
        }
    }
}
