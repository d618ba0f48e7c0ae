using System.Runtime.InteropServices;

namespace IlgpuSnn.Distributed;

/// <summary>The part of NCCL's C API this library uses, bound at run time from libnccl.so.2.</summary>
internal sealed unsafe class NcclLibrary
{
    /// <summary>Environment variable naming the NCCL library to load instead of libnccl.so.2.</summary>
    public const string LibraryVariable = "ILGPUSNN_NCCL_LIBRARY";

    /// <summary>ncclFloat32.</summary>
    public const int Float32 = 7;

    /// <summary>ncclUint8.</summary>
    public const int Uint8 = 1;

    /// <summary>ncclSum.</summary>
    public const int Sum = 0;

    /// <summary>Bytes of an ncclUniqueId (NCCL_UNIQUE_ID_BYTES).</summary>
    public const int UniqueIdBytes = 128;

    private readonly nint library;

    private NcclLibrary(nint library, string path)
    {
        this.library = library;
        Path = path;
        GetUniqueId = (delegate* unmanaged<UniqueId*, int>)Symbol("ncclGetUniqueId");
        CommInitRank = (delegate* unmanaged<nint*, int, UniqueId, int, int>)Symbol("ncclCommInitRank");
        AllReduce = (delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int>)Symbol("ncclAllReduce");
        Broadcast = (delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int>)Symbol("ncclBroadcast");
        CommDestroy = (delegate* unmanaged<nint, int>)Symbol("ncclCommDestroy");
        CommAbort = (delegate* unmanaged<nint, int>)Symbol("ncclCommAbort");
        GetErrorString = (delegate* unmanaged<int, byte*>)Symbol("ncclGetErrorString");
    }

    /// <summary>The file that was loaded.</summary>
    public string Path { get; }

    public readonly delegate* unmanaged<UniqueId*, int> GetUniqueId;
    public readonly delegate* unmanaged<nint*, int, UniqueId, int, int> CommInitRank;
    public readonly delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int> AllReduce;
    public readonly delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int> Broadcast;
    public readonly delegate* unmanaged<nint, int> CommDestroy;
    public readonly delegate* unmanaged<nint, int> CommAbort;
    public readonly delegate* unmanaged<int, byte*> GetErrorString;

    /// <summary>ncclUniqueId, passed by value to ncclCommInitRank.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct UniqueId
    {
        /// <summary>The opaque bytes.</summary>
        public fixed byte Bytes[UniqueIdBytes];
    }

    /// <summary>Loads NCCL (the file named by <see cref="LibraryVariable"/>, else libnccl.so.2); null with the reason when it is absent.</summary>
    public static NcclLibrary? TryLoad(out string reason)
    {
        var name = Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } chosen ? chosen : "libnccl.so.2";
        if (!NativeLibrary.TryLoad(name, out var handle))
        {
            reason = $"{name} is not present (NCCL comes with NVIDIA's libnccl2 package or the CUDA toolkit containers; set {LibraryVariable} to its path).";
            return null;
        }
        try
        {
            reason = "";
            return new NcclLibrary(handle, name);
        }
        catch (CollectiveException e)
        {
            NativeLibrary.Free(handle);
            reason = e.Message;
            return null;
        }
    }

    /// <summary>Throws a <see cref="CollectiveException"/> naming <paramref name="call"/> when <paramref name="code"/> is not ncclSuccess.</summary>
    public void Check(int code, string call)
    {
        if (code == 0) return;
        var text = Marshal.PtrToStringAnsi((nint)GetErrorString(code)) ?? "unknown error";
        throw new CollectiveException($"{call} failed: {text} (NCCL error {code}).");
    }

    private nint Symbol(string name) =>
        NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new CollectiveException($"{Path}: the NCCL library has no symbol '{name}'.");
}
