using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// A dropout mask of the given shape with entries 0 (probability <paramref name="p"/>) or 1/(1 − p), generated on
    /// the device from a counter-based hash of (<paramref name="seed"/>, element index): the same seed gives the same
    /// mask on every device. p = 0 gives all ones, p = 1 all zeros.
    /// </summary>
    /// <param name="device">Where the mask is created.</param>
    /// <param name="shape">Shape of the mask.</param>
    /// <param name="p">Probability of dropping an element, in [0, 1].</param>
    /// <param name="seed">Seed of the counter-based random stream (the same seed gives the same mask).</param>
    /// <returns>The mask: 0 for dropped elements, 1/(1 − p) for kept ones.</returns>
    /// <exception cref="ArgumentException"><paramref name="p"/> is outside [0, 1] or the shape is invalid.</exception>
    public static Tensor DropoutMask(Device device, int[] shape, float p, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(shape);
        if (!(p >= 0f && p <= 1f))
            throw new ArgumentException($"DropoutMask: probability {p} is outside [0, 1] (shape {Tensor.Format(shape)}).", nameof(p));
        var mask = Tensor.Empty(device, shape);
        DropoutKernels.Mask(device, mask.View, p, seed);
        return mask;
    }

    /// <summary>
    /// x ⊙ mask, where <paramref name="mask"/> has the shape of <paramref name="x"/> or of x without its leading
    /// (time) axis, in which case the same mask applies at every step: x [T, ...rest], mask [...rest].
    /// Differentiable in x (not in the mask); keeps the mask for its backward.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="mask">A mask from <see cref="DropoutMask"/>, shaped like <paramref name="x"/> or like it without its leading (time) axis.</param>
    /// <returns>x ⊙ mask, shaped like <paramref name="x"/>.</returns>
    public static Tensor Dropout(Tensor x, Tensor mask)
    {
        const string name = "Dropout";
        var device = Check.SameDevice(name, x, mask);
        bool same = x.Shape.SequenceEqual(mask.Shape);
        bool broadcast = x.Rank >= 1 && mask.Rank == x.Rank - 1 && x.Shape.Skip(1).SequenceEqual(mask.Shape);
        if (!same && !broadcast)
            throw new ArgumentException($"{name}: mask {Tensor.Format(mask.Shape)} must have the shape of x {Tensor.Format(x.Shape)} or of x without its leading axis.");
        var y = Tensor.Empty(device, x.ShapeArray());
        if (y.Length == 0) return y;
        DropoutKernels.BroadcastMultiply(device, x.View, mask.View, y.View);
        if (Tape.Begin(name, x) is not { } entry) return y;
        var savedMask = entry.Keep(mask);
        var xShape = x.ShapeArray();
        entry.Complete(y, g =>
        {
            var gx = Tensor.Empty(device, xShape);
            DropoutKernels.BroadcastMultiply(device, g[0]!.View, savedMask.View, gx.View);
            return [gx];
        });
        return y;
    }
}
