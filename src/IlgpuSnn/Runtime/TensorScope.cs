namespace IlgpuSnn.Runtime;

/// <summary>
/// Collects the tensors created on this thread while it is open and disposes them when it closes, so a training
/// step releases all its temporaries at once. Scopes nest; <see cref="Escape"/> takes a tensor out of every scope so
/// it survives them.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;
    [ThreadStatic] private static int suspended;

    private readonly TensorScope? parent;
    private readonly List<Tensor> owned = [];
    private bool disposed;

    private TensorScope(TensorScope? parent) => this.parent = parent;

    /// <summary>Opens a scope on the current thread.</summary>
    /// <returns>The scope; disposing it disposes the tensors created in it.</returns>
    public static TensorScope Begin() => current = new TensorScope(current);

    /// <summary>Tensors created while the returned handle is open belong to no scope (e.g. parameters, state).</summary>
    /// <returns>A handle that restores the current scope when disposed.</returns>
    public static IDisposable Suspend()
    {
        suspended++;
        return new Resume();
    }

    /// <summary>Removes <paramref name="tensor"/> from whatever scope owns it: the caller disposes it.</summary>
    /// <param name="tensor">A tensor owned by a scope.</param>
    /// <returns>The same tensor, now owned by the caller.</returns>
    public static Tensor Escape(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.Scope = null;
        return tensor;
    }

    internal static TensorScope? Register(Tensor tensor)
    {
        var scope = suspended > 0 ? null : current;
        scope?.owned.Add(tensor);
        return scope;
    }

    /// <summary>Disposes every tensor still owned by this scope and closes it.</summary>
    /// <exception cref="InvalidOperationException">
    /// The scope is not the innermost open scope of this thread (an inner scope is still open, or it belongs to
    /// another thread); nothing is disposed then.
    /// </exception>
    public void Dispose()
    {
        if (disposed) return;
        if (current != this)
            throw new InvalidOperationException(current is null || !IsAncestor(current)
                ? "TensorScope.Dispose: this scope belongs to another thread (or was already closed by it); dispose a scope on the thread that began it."
                : "TensorScope.Dispose: an inner scope is still open; dispose scopes in the reverse order of Begin (use `using`).");
        disposed = true;
        for (int i = owned.Count - 1; i >= 0; i--)
            if (owned[i].Scope == this) owned[i].Dispose();
        owned.Clear();
        if (current == this) current = parent;
    }

    private bool IsAncestor(TensorScope scope)
    {
        for (var s = scope.parent; s is not null; s = s.parent)
            if (s == this) return true;
        return false;
    }

    private sealed class Resume : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            suspended--;
        }
    }
}
