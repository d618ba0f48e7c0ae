using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Autodiff;

namespace IlgpuSnn.Runtime;

/// <summary>
/// A dense, contiguous float32 tensor in device memory taken from the device's <see cref="BufferPool"/>.
/// Views (<see cref="Reshape"/>, <see cref="Slice"/>, <see cref="Detach"/>) share memory without copying; the memory
/// returns to the pool when the last tensor using it is disposed. Tensors created while a <see cref="TensorScope"/>
/// is open are disposed with the scope.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly int[] shape;
    private readonly Storage storage;
    private readonly long offset;
    private bool disposed;

    internal Tensor(Device device, Storage storage, long offset, int[] shape)
    {
        Device = device;
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        Length = ShapeLength(shape);
        Scope = TensorScope.Register(this);
    }

    /// <summary>The device holding the data.</summary>
    public Device Device { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public IReadOnlyList<int> Shape => shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => shape.Length;

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Bytes of the elements (the memory the pool counts for a tensor that owns its storage).</summary>
    public long Bytes => Length * sizeof(float);

    /// <summary>An optional name (parameters carry theirs; used in messages and checkpoints).</summary>
    public string? Name { get; set; }

    /// <summary>
    /// Whether gradients flow into this tensor. Set it on a leaf (a parameter or an input) with
    /// <see cref="RequireGrad"/>; outputs of recorded operations get it from the tape.
    /// </summary>
    public bool RequiresGrad { get; internal set; }

    /// <summary>True for tensors produced by a recorded operation (their gradient is not kept).</summary>
    internal bool HasProducer { get; set; }

    /// <summary>The accumulated gradient of a leaf that requires gradients; null before the first backward.</summary>
    public Tensor? Grad { get; internal set; }

    internal TensorScope? Scope { get; set; }

    /// <summary>
    /// When positive: every element was checked on the host where the tensor was made (a data loader's labels) to be an
    /// integer class index below this count, so operations taking labels need not read them back from the device.
    /// </summary>
    internal int CheckedClassCount { get; set; }

    internal Storage Storage => storage;

    /// <summary>Whether this tensor is the only one using its memory and spans all of it (so it may be taken over).</summary>
    internal bool IsSoleView => !disposed && offset == 0 && Length == storage.Floats && !storage.IsShared;

    /// <summary>
    /// The elements as an ILGPU view, for kernels. Throws after <see cref="Dispose"/>. The CPU accelerator runs the
    /// library's kernels when the host next reads (see <see cref="Device.Accelerator"/>): call
    /// <see cref="Device.Synchronize"/> before using the view with ILGPU directly.
    /// </summary>
    public ArrayView<float> View
    {
        get
        {
            ThrowIfDisposed("View");
            if (Device.IsDisposed)
                throw new ObjectDisposedException(nameof(Device), $"Tensor {Format(shape)}{(Name is null ? "" : " '" + Name + "'")}: its device {Device.Info.Id} was disposed; dispose tensors and networks before their device.");
            return storage.View.SubView(offset, Length);
        }
    }

    /// <summary>Size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    /// <param name="axis">The axis; negative counts from the end.</param>
    /// <returns>The extent of that axis.</returns>
    public int Dim(int axis) => shape[axis < 0 ? shape.Length + axis : axis];

    /// <summary>A copy of the shape.</summary>
    /// <returns>A copy of the shape.</returns>
    public int[] ShapeArray() => (int[])shape.Clone();

    /// <summary>Whether the tensor was disposed.</summary>
    public bool IsDisposed => disposed;

    /// <summary>Allocates an uninitialised tensor.</summary>
    /// <param name="device">Where the memory lives.</param>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor, registered with the current <see cref="TensorScope"/>.</returns>
    public static Tensor Empty(Device device, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.ThrowIfDisposed();
        ValidateShape("Tensor.Empty", shape);
        var s = device.Pool.Rent(ShapeLength(shape));
        return new Tensor(device, s, 0, (int[])shape.Clone());
    }

    /// <summary>Allocates a tensor filled with zeros.</summary>
    /// <param name="device">Where the memory lives.</param>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor, registered with the current <see cref="TensorScope"/>.</returns>
    public static Tensor Zeros(Device device, params int[] shape) => Full(device, 0f, shape);

    /// <summary>Allocates a tensor filled with <paramref name="value"/>.</summary>
    /// <param name="device">Where the memory lives.</param>
    /// <param name="value">The value of every element.</param>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor, registered with the current <see cref="TensorScope"/>.</returns>
    public static Tensor Full(Device device, float value, params int[] shape)
    {
        var t = Empty(device, shape);
        Kernels.Elementwise.Fill(device, t.View, value);
        return t;
    }

    /// <summary>Copies host data into a new tensor of the given shape.</summary>
    /// <param name="device">Where the memory lives.</param>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The shape; its product must equal the length of <paramref name="data"/>.</param>
    /// <returns>The tensor, registered with the current <see cref="TensorScope"/>.</returns>
    public static Tensor FromArray(Device device, ReadOnlySpan<float> data, params int[] shape)
    {
        ValidateShape("Tensor.FromArray", shape);
        if (data.Length != ShapeLength(shape))
            throw new ArgumentException($"Tensor.FromArray: {data.Length} values do not fill shape {Format(shape)} ({ShapeLength(shape)} elements).", nameof(data));
        var t = Empty(device, shape);
        if (data.Length == 0) return t;
        device.Activity.Uploaded();
        device.RunQueued(); // the block may have held a freed tensor that a recorded kernel still reads or writes
        t.View.CopyFromCPU(device.Accelerator.DefaultStream, data);
        return t;
    }

    /// <summary>Marks a leaf tensor as requiring gradients and returns it.</summary>
    /// <returns>This tensor.</returns>
    public Tensor RequireGrad()
    {
        ThrowIfDisposed("RequireGrad");
        if (HasProducer) throw new InvalidOperationException("RequireGrad: only leaf tensors (not outputs of recorded operations) can be marked.");
        RequiresGrad = true;
        return this;
    }

    /// <summary>Copies the elements to a new host array (waits for pending work).</summary>
    /// <returns>The elements in row-major order.</returns>
    public float[] ToArray()
    {
        ThrowIfDisposed("ToArray");
        var result = new float[Length];
        CopyTo(result);
        return result;
    }

    /// <summary>Copies the elements into <paramref name="destination"/> (waits for pending work).</summary>
    /// <param name="destination">Receives the elements in row-major order; exactly <see cref="Length"/> long.</param>
    public void CopyTo(Span<float> destination)
    {
        ThrowIfDisposed("CopyTo");
        if (destination.Length < Length) throw new ArgumentException($"CopyTo: destination holds {destination.Length} values, tensor has {Length}.", nameof(destination));
        if (Length == 0) return;
        Device.Activity.Synchronized();
        Device.RunQueued();
        View.CopyToCPU(Device.Accelerator.DefaultStream, destination[..(int)Length]);
        Device.Accelerator.DefaultStream.Synchronize();
    }

    /// <summary>Overwrites the elements with host data of the same length.</summary>
    /// <param name="source">The elements in row-major order; exactly <see cref="Length"/> long.</param>
    public void CopyFrom(ReadOnlySpan<float> source)
    {
        ThrowIfDisposed("CopyFrom");
        if (source.Length != Length) throw new ArgumentException($"CopyFrom: {source.Length} values for a tensor of shape {Format(shape)} ({Length} elements).", nameof(source));
        if (Length == 0) return;
        Device.Activity.Uploaded();
        Device.RunQueued(); // a recorded kernel may still read the elements this overwrites
        View.CopyFromCPU(Device.Accelerator.DefaultStream, source);
    }

    /// <summary>The single value of a one-element tensor.</summary>
    /// <returns>The only element.</returns>
    public float Item()
    {
        if (Length != 1) throw new InvalidOperationException($"Item: tensor of shape {Format(shape)} has {Length} elements, not 1.");
        return ToArray()[0];
    }

    /// <summary>
    /// A view with another shape and the same elements (no copy). One dimension may be -1 and is inferred.
    /// Gradients flow through the view when the tape records.
    /// </summary>
    /// <param name="newShape">The new shape; its product must equal <see cref="Length"/>, one entry may be −1.</param>
    /// <returns>The view.</returns>
    public Tensor Reshape(params int[] newShape)
    {
        ThrowIfDisposed("Reshape");
        var resolved = ResolveShape(newShape);
        var view = Alias(offset, resolved);
        if (Tape.Begin("Reshape", this) is { } entry)
        {
            var inShape = shape;
            entry.Complete(view, g => [g[0]!.AliasInternal(inShape)]);
        }
        return view;
    }

    /// <summary>Collapses all dimensions after the first: [N, ...] to [N, rest].</summary>
    /// <returns>The [N, rest] view.</returns>
    public Tensor Flatten() => Reshape(shape[0], Rank == 1 ? 1 : checked((int)(Length / Math.Max(shape[0], 1))));

    /// <summary>
    /// A view of <paramref name="count"/> entries of the first dimension starting at <paramref name="start"/>
    /// (e.g. one time step of a [T, B, ...] sequence). Gradients flow into the slice when the tape records.
    /// </summary>
    /// <param name="start">The first entry of the first dimension.</param>
    /// <param name="count">How many entries.</param>
    /// <returns>The view [count, ...].</returns>
    public Tensor Slice(int start, int count)
    {
        ThrowIfDisposed("Slice");
        if (Rank == 0 || start < 0 || count < 0 || start + count > shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice: [{start}, {start + count}) is outside the first dimension of shape {Format(shape)}.");
        long inner = shape[0] == 0 ? 0 : Length / shape[0];
        var newShape = (int[])shape.Clone();
        newShape[0] = count;
        var view = Alias(offset + start * inner, newShape);
        if (Tape.Begin("Slice", this) is { } entry)
        {
            var full = shape;
            var dev = Device;
            entry.Complete(view, g =>
            {
                var gx = Zeros(dev, full);
                Kernels.Elementwise.Copy(dev, g[0]!.View, gx.View.SubView(start * inner, count * inner));
                return [gx];
            });
        }
        return view;
    }

    /// <summary>A view of the same memory that the tape treats as a constant (stop-gradient).</summary>
    /// <returns>The view.</returns>
    public Tensor Detach()
    {
        ThrowIfDisposed("Detach");
        return Alias(offset, shape);
    }

    /// <summary>A new handle on the same memory, with no gradient history; used for views and saved tensors.</summary>
    internal Tensor Alias(long newOffset, int[] newShape)
    {
        storage.AddReference();
        return new Tensor(Device, storage, newOffset, newShape);
    }

    internal Tensor AliasInternal(int[] newShape) => Alias(offset, newShape);

    /// <summary>Disposes and forgets the accumulated gradient, so the next backward starts from none.</summary>
    public void ClearGrad()
    {
        var g = Grad;
        Grad = null;
        g?.Dispose();
    }

    /// <summary>Returns the memory to the pool once no other view uses it. Safe to call twice.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        storage.Release();
        ClearGrad();
    }

    /// <inheritdoc />
    public override string ToString() => $"Tensor{Format(shape)}{(Name is null ? "" : " " + Name)} on {Device.Info.Id}";

    internal void ThrowIfDisposed(string operation)
    {
        if (disposed) throw new ObjectDisposedException(nameof(Tensor), $"{operation}: tensor {Format(shape)}{(Name is null ? "" : " '" + Name + "'")} was used after Dispose.");
    }

    /// <summary>Formats a shape as [a, b, c].</summary>
    /// <param name="shape">The shape.</param>
    /// <returns>The shape as text, e.g. [2, 3].</returns>
    public static string Format(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    internal static long ShapeLength(IReadOnlyList<int> shape)
    {
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        return n;
    }

    private static void ValidateShape(string operation, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"{operation}: negative dimension in shape {Format(shape)}.", nameof(shape));
    }

    private int[] ResolveShape(int[] newShape)
    {
        var result = (int[])newShape.Clone();
        int infer = Array.IndexOf(result, -1);
        if (infer >= 0)
        {
            long known = 1;
            for (int i = 0; i < result.Length; i++) if (i != infer) known *= result[i];
            if (known == 0 || Length % known != 0)
                throw new ArgumentException($"Reshape: cannot infer a dimension of {Format(newShape)} for {Length} elements of {Format(shape)}.");
            result[infer] = (int)(Length / known);
        }
        if (result.Any(d => d < 0) || ShapeLength(result) != Length)
            throw new ArgumentException($"Reshape: shape {Format(newShape)} does not hold the {Length} elements of {Format(shape)}.");
        return result;
    }
}
