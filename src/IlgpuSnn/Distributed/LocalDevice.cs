using IlgpuSnn.Runtime;

namespace IlgpuSnn.Distributed;

/// <summary>The device of one rank: one GPU per process, chosen by the local rank.</summary>
public static class LocalDevice
{
    /// <summary>
    /// Creates the device for this rank. A name with an index ("cuda:1") is taken as given; otherwise, in a job of
    /// several ranks, the device of that kind (or of the best kind present) with index local rank modulo their count.
    /// </summary>
    /// <param name="name">A device name ("cpu", "cuda", "cuda:1"); null = the device environment variable, else the best present.</param>
    /// <param name="communicator">The job's communicator; its size and local rank choose the index.</param>
    /// <returns>The device for this rank; the caller disposes it.</returns>
    public static Device Create(string? name, ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        name ??= Environment.GetEnvironmentVariable(Device.EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(name)) name = null;
        if (communicator.Size == 1 || name?.Contains(':', StringComparison.Ordinal) == true) return Device.Create(name);
        var present = Device.ListAvailable();
        var kind = name?.Trim().ToLowerInvariant() ?? (present.Count > 0 ? present[0].Kind : "cpu");
        int count = present.Count(d => d.Kind == kind);
        return Device.Create(count == 0 ? kind : $"{kind}:{communicator.LocalRank % count}");
    }
}
