using IlgpuSnn.Autodiff;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Stacks tensors along their first axis (e.g. per-step outputs [B, ...] into a sequence [T·B, ...]); the
    /// gradient of each part is its slice of the output gradient.
    /// </summary>
    /// <param name="parts">At least one tensor; all with the same shape after the first axis, on one device.</param>
    /// <returns>The concatenation, [Σ first dims, ...].</returns>
    /// <exception cref="ArgumentException">No parts, a rank-0 part, or parts whose trailing shapes differ.</exception>
    public static Tensor Concat(IReadOnlyList<Tensor> parts)
    {
        const string name = "Concat";
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException($"{name}: needs at least one tensor.");
        var first = parts[0] ?? throw new ArgumentNullException(nameof(parts));
        if (first.Rank == 0) throw new ArgumentException($"{name}: tensors need a first axis, got shape {Tensor.Format(first.Shape)}.");
        var device = first.Device;
        var trailing = first.Shape.Skip(1).ToArray();
        int rows = 0;
        foreach (var p in parts)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(parts));
            Check.SameDevice(name, first, p);
            if (p.Rank == 0 || !p.Shape.Skip(1).SequenceEqual(trailing))
                throw new ArgumentException($"{name}: shape {Tensor.Format(p.Shape)} does not continue {Tensor.Format(first.Shape)} along the first axis.");
            rows += p.Dim(0);
        }
        var y = Tensor.Empty(device, [rows, .. trailing]);
        long offset = 0;
        foreach (var p in parts)
        {
            Elementwise.Copy(device, p.View, y.View.SubView(offset, p.Length));
            offset += p.Length;
        }
        var inputs = parts.ToArray<Tensor?>();
        if (Tape.Begin(name, inputs) is not { } entry) return y;
        var shapes = parts.Select(p => p.ShapeArray()).ToArray();
        entry.Complete(y, g =>
        {
            var grads = new Tensor?[shapes.Length];
            long at = 0;
            for (int i = 0; i < shapes.Length; i++)
            {
                var gi = Tensor.Empty(device, shapes[i]);
                Elementwise.Copy(device, g[0]!.View.SubView(at, gi.Length), gi.View);
                at += gi.Length;
                grads[i] = gi;
            }
            return grads;
        });
        return y;
    }
}
