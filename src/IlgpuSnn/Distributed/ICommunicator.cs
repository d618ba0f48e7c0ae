using IlgpuSnn.Runtime;

namespace IlgpuSnn.Distributed;

/// <summary>
/// Collective operations among the processes (ranks) of one data-parallel job. Every rank must call the same
/// collectives in the same order with the same element counts. <see cref="SingleProcessCommunicator"/> is the job of
/// one; <see cref="MpiCommunicator"/> and <see cref="NcclCommunicator"/> move data through MPI or NCCL (never through a
/// transport of this library's own).
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>"single", "mpi" or "nccl".</summary>
    string Backend { get; }

    /// <summary>This process's index in [0, <see cref="Size"/>).</summary>
    int Rank { get; }

    /// <summary>Number of processes in the job.</summary>
    int Size { get; }

    /// <summary>This process's index among the processes on the same machine (selects the GPU).</summary>
    int LocalRank { get; }

    /// <summary>Number of processes on this machine.</summary>
    int LocalSize { get; }

    /// <summary>Replaces the elements of a device tensor by their sum or average over all ranks (in place).</summary>
    /// <param name="tensor">The tensor; same shape on every rank.</param>
    /// <param name="operation">Sum or average.</param>
    void AllReduce(Tensor tensor, ReduceOperation operation);

    /// <summary>Replaces host values by their sum or average over all ranks (in place).</summary>
    /// <param name="values">The values; same length on every rank.</param>
    /// <param name="operation">Sum or average.</param>
    void AllReduce(Span<float> values, ReduceOperation operation);

    /// <summary>Replaces host values by their sum or average over all ranks (in place); exact for counts below 2^53.</summary>
    /// <param name="values">The values; same length on every rank.</param>
    /// <param name="operation">Sum or average.</param>
    void AllReduce(Span<double> values, ReduceOperation operation);

    /// <summary>Overwrites the tensor on every rank with its value on <paramref name="root"/>.</summary>
    /// <param name="tensor">The tensor; same shape on every rank.</param>
    /// <param name="root">The rank whose value is sent, in [0, Size).</param>
    void Broadcast(Tensor tensor, int root);

    /// <summary>Overwrites the bytes on every rank with their value on <paramref name="root"/>.</summary>
    /// <param name="data">The bytes; same length on every rank.</param>
    /// <param name="root">The rank whose value is sent, in [0, Size).</param>
    void Broadcast(Span<byte> data, int root);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();

    /// <summary>
    /// Ends every rank of the job with <paramref name="exitCode"/> (a failing rank calls it so the others do not wait
    /// in a collective forever). Does not return for a job of several ranks; a single process just exits.
    /// </summary>
    /// <param name="exitCode">The process exit code of every rank.</param>
    void Abort(int exitCode);
}
