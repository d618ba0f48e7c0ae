using System.Runtime.InteropServices;
using System.Text;

namespace IlgpuSnn.Distributed;

/// <summary>
/// The part of the MPI C API this library uses, bound at run time from Open MPI's libmpi (no native build step, and
/// nothing is loaded where MPI is absent). Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the
/// addresses of its exported <c>ompi_mpi_*</c> objects and MPI_IN_PLACE is (void*)1. Libraries of the MPICH ABI
/// (integer handles: MPICH, Intel MPI, Cray MPICH) are recognised and refused with a clear message.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>Environment variable naming the MPI library to load instead of the default names.</summary>
    public const string LibraryVariable = "ILGPUSNN_MPI_LIBRARY";

    /// <summary>MPI_IN_PLACE of Open MPI.</summary>
    public static readonly void* InPlace = (void*)1;

    /// <summary>MPI_THREAD_SERIALIZED of Open MPI.</summary>
    public const int ThreadSerialized = 2;

    /// <summary>MPI_COMM_TYPE_SHARED of Open MPI.</summary>
    public const int CommTypeShared = 0;

    private static readonly string[] DefaultNames = OperatingSystem.IsMacOS()
        ? ["libmpi.40.dylib", "libmpi.dylib"]
        : ["libmpi.so.40", "libmpi.so"];

    private readonly nint library;

    private MpiLibrary(nint library, string path)
    {
        this.library = library;
        Path = path;
        CommWorld = Symbol("ompi_mpi_comm_world");
        Float = Symbol("ompi_mpi_float");
        Double = Symbol("ompi_mpi_double");
        Byte = Symbol("ompi_mpi_byte");
        OpSum = Symbol("ompi_mpi_op_sum");
        ErrorsReturn = Symbol("ompi_mpi_errors_return");
        InfoNull = Symbol("ompi_mpi_info_null");
        Initialized = (delegate* unmanaged<int*, int>)Symbol("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Symbol("MPI_Finalized");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Symbol("MPI_Init_thread");
        Finalize = (delegate* unmanaged<int>)Symbol("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Symbol("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Symbol("MPI_Comm_size");
        CommSetErrhandler = (delegate* unmanaged<nint, nint, int>)Symbol("MPI_Comm_set_errhandler");
        CommSplitType = (delegate* unmanaged<nint, int, int, nint, nint*, int>)Symbol("MPI_Comm_split_type");
        CommFree = (delegate* unmanaged<nint*, int>)Symbol("MPI_Comm_free");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Symbol("MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Symbol("MPI_Bcast");
        Barrier = (delegate* unmanaged<nint, int>)Symbol("MPI_Barrier");
        Abort = (delegate* unmanaged<nint, int, int>)Symbol("MPI_Abort");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Symbol("MPI_Error_string");
    }

    /// <summary>The file that was loaded.</summary>
    public string Path { get; }

    /// <summary>MPI_COMM_WORLD.</summary>
    public nint CommWorld { get; }

    /// <summary>MPI_FLOAT.</summary>
    public nint Float { get; }

    /// <summary>MPI_DOUBLE.</summary>
    public nint Double { get; }

    /// <summary>MPI_BYTE.</summary>
    public nint Byte { get; }

    /// <summary>MPI_SUM.</summary>
    public nint OpSum { get; }

    /// <summary>MPI_ERRORS_RETURN.</summary>
    public nint ErrorsReturn { get; }

    /// <summary>MPI_INFO_NULL.</summary>
    public nint InfoNull { get; }

    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<nint, nint, int> CommSetErrhandler;
    public readonly delegate* unmanaged<nint, int, int, nint, nint*, int> CommSplitType;
    public readonly delegate* unmanaged<nint*, int> CommFree;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<nint, int> Barrier;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly delegate* unmanaged<int, byte*, int*, int> ErrorString;

    /// <summary>
    /// Loads Open MPI's library (the file named by <see cref="LibraryVariable"/>, else libmpi.so.40 / libmpi.so);
    /// null with the reason when none loads or the one found is not Open MPI.
    /// </summary>
    public static MpiLibrary? TryLoad(out string reason)
    {
        var names = Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } chosen ? [chosen] : DefaultNames;
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
            {
                reason = NativeLibrary.TryGetExport(handle, "MPI_Init", out _)
                    ? $"{name} is an MPI library of the MPICH ABI (integer handles); only Open MPI is supported."
                    : $"{name} is not an MPI library.";
                NativeLibrary.Free(handle);
                return null;
            }
            reason = "";
            return new MpiLibrary(handle, name);
        }
        reason = $"no MPI library found (tried {string.Join(", ", names)}; on Debian/Ubuntu: apt-get install openmpi-bin, or set {LibraryVariable}).";
        return null;
    }

    /// <summary>Throws a <see cref="CollectiveException"/> naming <paramref name="call"/> when <paramref name="code"/> is not MPI_SUCCESS.</summary>
    public void Check(int code, string call)
    {
        if (code == 0) return;
        throw new CollectiveException($"{call} failed: {Describe(code)} (MPI error {code}).");
    }

    /// <summary>MPI's text for an error code.</summary>
    public string Describe(int code)
    {
        const int maxLength = 256; // MPI_MAX_ERROR_STRING of Open MPI
        var text = stackalloc byte[maxLength + 1];
        int length = 0;
        if (ErrorString(code, text, &length) != 0 || length <= 0) return "unknown error";
        return Encoding.ASCII.GetString(text, Math.Min(length, maxLength));
    }

    private nint Symbol(string name) =>
        NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new CollectiveException($"{Path}: the MPI library has no symbol '{name}'.");
}
