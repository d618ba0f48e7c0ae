using IlgpuSnn.Autodiff;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

public static partial class Ops
{
    /// <summary>
    /// Joins tensors along their first dimension (e.g. per-step outputs [B, ...] back into a folded [k·B, ...]).
    /// Differentiable: each input receives its rows of the incoming gradient.
    /// </summary>
    /// <param name="parts">One or more tensors with equal shapes after the first dimension.</param>
    /// <exception cref="ArgumentException">No parts, or the trailing shapes differ.</exception>
    public static Tensor ConcatRows(IReadOnlyList<Tensor> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("ConcatRows: needs at least one tensor.", nameof(parts));
        var device = parts[0].Device;
        var shape = parts[0].ShapeArray();
        int rows = 0;
        foreach (var p in parts)
        {
            Check.SameDevice("ConcatRows", parts[0], p);
            if (p.Rank != shape.Length || !p.Shape.Skip(1).SequenceEqual(shape.Skip(1)))
                throw new ArgumentException($"ConcatRows: shapes {Tensor.Format(parts[0].Shape)} and {Tensor.Format(p.Shape)} differ after the first dimension.");
            rows += p.Dim(0);
        }
        shape[0] = rows;
        var y = Tensor.Empty(device, shape);
        var offsets = new long[parts.Count];
        long at = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            offsets[i] = at;
            if (parts[i].Length > 0) Kernels.Elementwise.Copy(device, parts[i].View, y.View.SubView(at, parts[i].Length));
            at += parts[i].Length;
        }
        if (!Tape.ShouldRecord([.. parts])) return y;
        var shapes = parts.Select(p => p.ShapeArray()).ToArray();
        Tape.Recording!.Add("ConcatRows", [.. parts], [y], g =>
        {
            var grads = new Tensor?[shapes.Length];
            for (int i = 0; i < shapes.Length; i++)
            {
                var gi = Tensor.Empty(device, shapes[i]);
                if (gi.Length > 0) Kernels.Elementwise.Copy(device, g[0]!.View.SubView(offsets[i], gi.Length), gi.View);
                grads[i] = gi;
            }
            return grads;
        }, []);
        return y;
    }
}
