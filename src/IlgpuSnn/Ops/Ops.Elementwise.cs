using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>
/// Differentiable operations on tensors. Each computes its forward with device kernels and, when a tape is recording
/// and an input requires gradients, records a node that keeps only what its backward needs.
/// </summary>
public static partial class Ops
{
    /// <summary>a + b (same shapes).</summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, shaped like <paramref name="a"/>.</param>
    /// <returns>a + b, element by element.</returns>
    public static Tensor Add(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Add);

    /// <summary>a - b (same shapes).</summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, shaped like <paramref name="a"/>.</param>
    /// <returns>a − b, element by element.</returns>
    public static Tensor Subtract(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Subtract);

    /// <summary>a * b element by element (same shapes).</summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, shaped like <paramref name="a"/>.</param>
    /// <returns>a · b, element by element.</returns>
    public static Tensor Multiply(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Multiply);

    /// <summary>a / b element by element (same shapes).</summary>
    /// <param name="a">Dividend.</param>
    /// <param name="b">Divisor, shaped like <paramref name="a"/>.</param>
    /// <returns>a / b, element by element.</returns>
    public static Tensor Divide(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Divide);

    /// <summary>max(a, b) element by element (the gradient goes to a on ties).</summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, shaped like <paramref name="a"/>.</param>
    /// <returns>max(a, b), element by element.</returns>
    public static Tensor Maximum(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Maximum);

    /// <summary>s * x.</summary>
    /// <param name="x">The input.</param>
    /// <param name="s">The factor.</param>
    /// <returns>s · x.</returns>
    public static Tensor Scale(Tensor x, float s) => Unary(x, UnaryOp.Scale, s);

    /// <summary>exp(x).</summary>
    /// <param name="x">The input.</param>
    /// <returns>exp(x), element by element.</returns>
    public static Tensor Exp(Tensor x) => Unary(x, UnaryOp.Exp);

    /// <summary>log(x).</summary>
    /// <param name="x">The input.</param>
    /// <returns>ln(x), element by element.</returns>
    public static Tensor Log(Tensor x) => Unary(x, UnaryOp.Log);

    /// <summary>max(x, 0).</summary>
    /// <param name="x">The input.</param>
    /// <returns>max(x, 0), element by element.</returns>
    public static Tensor Relu(Tensor x) => Unary(x, UnaryOp.Relu);

    /// <summary>The logistic function.</summary>
    /// <param name="x">The input.</param>
    /// <returns>1 / (1 + exp(−x)), element by element.</returns>
    public static Tensor Sigmoid(Tensor x) => Unary(x, UnaryOp.Sigmoid);

    /// <summary>tanh(x).</summary>
    /// <param name="x">The input.</param>
    /// <returns>tanh(x), element by element.</returns>
    public static Tensor Tanh(Tensor x) => Unary(x, UnaryOp.Tanh);

    /// <summary>x * x.</summary>
    /// <param name="x">The input.</param>
    /// <returns>x², element by element.</returns>
    public static Tensor Square(Tensor x) => Unary(x, UnaryOp.Square);

    /// <summary>sqrt(x).</summary>
    /// <param name="x">The input.</param>
    /// <returns>√x, element by element.</returns>
    public static Tensor Sqrt(Tensor x) => Unary(x, UnaryOp.Sqrt);

    /// <summary>A copy of <paramref name="x"/> in new memory (gradients flow through).</summary>
    /// <param name="x">The input.</param>
    /// <returns>The copy.</returns>
    public static Tensor Clone(Tensor x) => Unary(x, UnaryOp.Scale, 1f);

    private static Tensor Binary(Tensor a, Tensor b, BinaryOp op)
    {
        var name = op.ToString();
        var device = Check.SameDevice(name, a, b);
        Check.SameShape(name, a, b);
        var y = Tensor.Empty(device, a.ShapeArray());
        Elementwise.Binary(device, a.View, b.View, y.View, op);
        if (Tape.Begin(name, a, b) is not { } entry) return y;
        bool needA = a.RequiresGrad, needB = b.RequiresGrad;
        if (op is BinaryOp.GreaterOrEqual or BinaryOp.LessOrEqual) return y;
        bool keepOperands = op is BinaryOp.Multiply or BinaryOp.Divide or BinaryOp.Maximum or BinaryOp.Minimum;
        var sa = keepOperands ? entry.Keep(a) : null;
        var sb = keepOperands ? entry.Keep(b) : null;
        entry.Complete(y, g => BinaryBackward(device, op, g[0]!, sa, sb, needA, needB));
        return y;
    }

    private static Tensor?[] BinaryBackward(Device device, BinaryOp op, Tensor g, Tensor? a, Tensor? b, bool needA, bool needB)
    {
        var shape = g.ShapeArray();
        Tensor? ga = null, gb = null;
        switch (op)
        {
            case BinaryOp.Add:
                if (needA) ga = Clone(g);
                if (needB) gb = Clone(g);
                break;
            case BinaryOp.Subtract:
                if (needA) ga = Clone(g);
                if (needB) gb = Scale(g, -1f);
                break;
            case BinaryOp.Multiply:
                if (needA) { ga = Tensor.Empty(device, shape); Elementwise.Binary(device, g.View, b!.View, ga.View, BinaryOp.Multiply); }
                if (needB) { gb = Tensor.Empty(device, shape); Elementwise.Binary(device, g.View, a!.View, gb.View, BinaryOp.Multiply); }
                break;
            case BinaryOp.Divide:
                if (needA) { ga = Tensor.Empty(device, shape); Elementwise.Binary(device, g.View, b!.View, ga.View, BinaryOp.Divide); }
                if (needB)
                {
                    // d(a/b)/db = -(a/b)/b
                    using var q = Divide(a!, b!);
                    gb = Tensor.Empty(device, shape);
                    Elementwise.Binary(device, q.View, b!.View, gb.View, BinaryOp.Divide);
                    Elementwise.Binary(device, gb.View, g.View, gb.View, BinaryOp.Multiply);
                    Elementwise.Unary(device, gb.View, gb.View, UnaryOp.Scale, -1f);
                }
                break;
            case BinaryOp.Maximum or BinaryOp.Minimum:
                // the gradient goes to the selected operand (to a on ties)
                using (var maskA = Tensor.Empty(device, shape))
                {
                    Elementwise.Binary(device, a!.View, b!.View, maskA.View, op == BinaryOp.Maximum ? BinaryOp.GreaterOrEqual : BinaryOp.LessOrEqual);
                    if (needA) { ga = Tensor.Empty(device, shape); Elementwise.Binary(device, g.View, maskA.View, ga.View, BinaryOp.Multiply); }
                    if (needB)
                    {
                        gb = Clone(g);
                        using var taken = Tensor.Empty(device, shape);
                        Elementwise.Binary(device, g.View, maskA.View, taken.View, BinaryOp.Multiply);
                        Elementwise.Binary(device, gb.View, taken.View, gb.View, BinaryOp.Subtract);
                    }
                }
                break;
            default:
                throw new NotSupportedException($"{op} has no gradient.");
        }
        return [ga, gb];
    }

    private static Tensor Unary(Tensor x, UnaryOp op, float p = 0f)
    {
        var name = op.ToString();
        var device = Check.SameDevice(name, x);
        var y = Tensor.Empty(device, x.ShapeArray());
        Elementwise.Unary(device, x.View, y.View, op, p);
        if (Tape.Begin(name, x) is not { } entry) return y;
        // Keep only what the derivative reads: nothing, the output, or the input.
        var keep = op switch
        {
            UnaryOp.Scale or UnaryOp.AddScalar => null,
            UnaryOp.Exp or UnaryOp.Sigmoid or UnaryOp.Tanh or UnaryOp.Sqrt => entry.Keep(y),
            _ => entry.Keep(x),
        };
        entry.Complete(y, g =>
        {
            var gx = Tensor.Empty(device, x.ShapeArray());
            var kept = keep?.View ?? g[0]!.View;
            Elementwise.UnaryBackward(device, kept, kept, g[0]!.View, gx.View, op, p);
            return [gx];
        });
        return y;
    }
}
