namespace IlgpuSnn.Distributed;

/// <summary>Chooses the communicator of a process: MPI when a launcher started it (or when asked), else a single process.</summary>
public static class Communicator
{
    /// <summary>Environment variable that overrides the choice: auto, single, mpi or nccl.</summary>
    public const string EnvironmentVariable = "ILGPUSNN_DISTRIBUTED";

    /// <summary>The choices <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "single", "mpi", "nccl"];

    /// <summary>
    /// The communicator among the processes of this job. <paramref name="backend"/> (else
    /// <see cref="EnvironmentVariable"/>, else "auto"): "auto" joins MPI only when a launcher started the process
    /// (<see cref="LaunchEnvironment"/>), "single" never does, "mpi" and "nccl" always do (a process started without a
    /// launcher is then an MPI job of one). For "nccl" this returns the MPI communicator that
    /// <see cref="NcclCommunicator"/> bootstraps from once the device is chosen (<see cref="ForDevice"/>).
    /// </summary>
    /// <param name="backend">"auto", "single", "mpi" or "nccl"; null = the environment variable, else "auto".</param>
    /// <returns>The job's communicator (a single-process one when MPI is not joined); the caller disposes it.</returns>
    /// <exception cref="ArgumentException">An unknown name.</exception>
    /// <exception cref="InvalidOperationException">MPI is needed but absent; the message says how to install it.</exception>
    public static ICommunicator Create(string? backend = null)
    {
        var choice = Resolve(backend);
        var launch = LaunchEnvironment.Detect();
        if (choice == "single" || (choice == "auto" && !launch.Launched)) return SingleProcessCommunicator.Instance;
        if (choice == "auto" && launch.Size == 1 && !MpiCommunicator.IsAvailable(out _)) return SingleProcessCommunicator.Instance;
        return MpiCommunicator.Create();
    }

    /// <summary>
    /// The communicator that moves device tensors for <paramref name="device"/>: NCCL over <paramref name="world"/>
    /// when "nccl" was chosen, or "auto" on a CUDA device of a job of several ranks where libnccl is present; otherwise
    /// null (use <paramref name="world"/>). The caller disposes the result before <paramref name="world"/>.
    /// </summary>
    /// <param name="world">The job's communicator that NCCL bootstraps from.</param>
    /// <param name="device">The device of this rank.</param>
    /// <param name="backend">The backend name as for <see cref="Create"/>; null = the environment variable, else "auto".</param>
    /// <returns>The NCCL communicator, or null when tensors go through <paramref name="world"/>.</returns>
    public static NcclCommunicator? ForDevice(ICommunicator world, Runtime.Device device, string? backend = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(device);
        var choice = Resolve(backend);
        bool wanted = choice == "nccl" || (choice == "auto" && world.Size > 1 && device.Kind == "cuda" && NcclCommunicator.IsAvailable(out _));
        return wanted ? new NcclCommunicator(world, device) : null;
    }

    private static string Resolve(string? backend)
    {
        var choice = (backend ?? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "auto").Trim().ToLowerInvariant();
        if (choice.Length == 0) choice = "auto";
        return Names.Contains(choice)
            ? choice
            : throw new ArgumentException($"Unknown distributed backend '{backend}'. Valid: {string.Join(", ", Names)}.");
    }
}
