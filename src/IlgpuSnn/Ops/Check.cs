using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>Argument checks shared by the operations; messages name the operation and the shapes.</summary>
internal static class Check
{
    public static void Alive(string operation, Tensor? t)
    {
        if (t is null) return;
        t.ThrowIfDisposed(operation);
    }

    public static Device SameDevice(string operation, params ReadOnlySpan<Tensor?> tensors)
    {
        Device? device = null;
        foreach (var t in tensors)
        {
            if (t is null) continue;
            t.ThrowIfDisposed(operation);
            if (device is null) device = t.Device;
            else if (!ReferenceEquals(device, t.Device))
                throw new ArgumentException($"{operation}: tensors live on different devices ({device.Info.Id} and {t.Device.Info.Id}).");
        }
        return device ?? throw new ArgumentException($"{operation}: no tensor given.");
    }

    public static void SameShape(string operation, Tensor a, Tensor b)
    {
        if (!a.Shape.SequenceEqual(b.Shape))
            throw new ArgumentException($"{operation}: shapes {Tensor.Format(a.Shape)} and {Tensor.Format(b.Shape)} differ.");
    }

    public static void Rank(string operation, Tensor t, int rank, string what)
    {
        if (t.Rank != rank)
            throw new ArgumentException($"{operation}: {what} must have rank {rank}, got shape {Tensor.Format(t.Shape)}.");
    }
}
