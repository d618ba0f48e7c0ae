namespace IlgpuSnn.Distributed;

/// <summary>A collective library (MPI or NCCL) reported an error; the message names the call and the library's text.</summary>
public sealed class CollectiveException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CollectiveException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed, for the user.</param>
    public CollectiveException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What failed, for the user.</param>
    /// <param name="innerException">The underlying failure.</param>
    public CollectiveException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
