using System.Globalization;

namespace IlgpuSnn.Distributed;

/// <summary>
/// What a process launcher (mpirun/mpiexec of Open MPI, a PMI or PMIx launcher such as Slurm's srun) told this
/// process through its environment, read without initialising MPI.
/// </summary>
/// <param name="Launched">Whether a launcher started the process.</param>
/// <param name="Rank">The rank the launcher gave, when it says.</param>
/// <param name="Size">The number of processes, when the launcher says.</param>
/// <param name="LocalRank">The rank on this machine, when the launcher says.</param>
public sealed record LaunchEnvironment(bool Launched, int? Rank, int? Size, int? LocalRank)
{
    /// <summary>Reads OMPI_COMM_WORLD_*, PMI_* and PMIX_RANK.</summary>
    /// <returns>Whether a launcher started the process, with the rank, size and local rank it set (null where unset).</returns>
    public static LaunchEnvironment Detect() => Detect(Environment.GetEnvironmentVariable);

    /// <summary>Reads the launcher's variables through <paramref name="variable"/> (for tests).</summary>
    /// <param name="variable">Looks up an environment variable by name; null when unset.</param>
    /// <returns>Whether a launcher started the process, with the rank, size and local rank it set (null where unset).</returns>
    public static LaunchEnvironment Detect(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        int? Read(string name) => int.TryParse(variable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        var size = Read("OMPI_COMM_WORLD_SIZE") ?? Read("PMI_SIZE");
        var rank = Read("OMPI_COMM_WORLD_RANK") ?? Read("PMI_RANK") ?? Read("PMIX_RANK");
        var local = Read("OMPI_COMM_WORLD_LOCAL_RANK") ?? Read("MPI_LOCALRANKID") ?? Read("PMI_LOCAL_RANK");
        return new LaunchEnvironment(size is not null || rank is not null, rank, size, local);
    }
}
