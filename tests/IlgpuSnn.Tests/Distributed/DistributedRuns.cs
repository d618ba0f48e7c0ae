using System.Text.Json;

namespace IlgpuSnn.Tests.Distributed;

/// <summary>
/// Runs the worker once alone and once as two ranks under mpirun (collectives and the training runs, the two ranks also
/// resuming from the single process's one-epoch checkpoint), on first use, and keeps the folders for the tests to read. Where MPI is absent, <see cref="Unavailable"/> says why.
/// </summary>
public sealed class DistributedRuns : IDisposable
{
    private static readonly string[] Modes = ["collectives", "train"];
    private readonly Lazy<(string Single, string Two)> folders;

    public DistributedRuns()
    {
        Unavailable = MpiJob.Unavailable();
        Root = Path.Combine(Path.GetTempPath(), "ilgpusnn-mpi-" + Guid.NewGuid().ToString("N"));
        folders = new Lazy<(string, string)>(() =>
        {
            var single = Directory.CreateDirectory(Path.Combine(Root, "single")).FullName;
            var two = Directory.CreateDirectory(Path.Combine(Root, "two")).FullName;
            foreach (var mode in Modes)
            {
                var alone = MpiJob.Run(0, 120, mode, single);
                Assert.True(alone.ExitCode == 0, $"worker {mode} alone failed ({alone.ExitCode}):\n{alone.Output}");
                var job = mode == "train" ? MpiJob.Run(2, 120, mode, two, single) : MpiJob.Run(2, 120, mode, two);
                Assert.True(job.ExitCode == 0, $"mpirun -np 2 worker {mode} failed ({job.ExitCode}) after {job.Elapsed.TotalSeconds:F1} s:\n{job.Output}");
            }
            return (single, two);
        });
    }

    /// <summary>Why MPI jobs cannot run here, or null.</summary>
    public string? Unavailable { get; }

    /// <summary>The temporary folder of all runs.</summary>
    public string Root { get; }

    /// <summary>Skips the calling test (visibly) where MPI is absent.</summary>
    public void RequireMpi()
    {
        if (Unavailable is not null) Assert.Skip($"MPI tests need Open MPI: {Unavailable}");
    }

    /// <summary>The JSON a rank wrote (rank 0 of the single run when <paramref name="ranks"/> is 1).</summary>
    public JsonElement Read(int ranks, string name, int rank)
    {
        RequireMpi();
        var folder = ranks == 1 ? folders.Value.Single : folders.Value.Two;
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, $"{name}.{rank}.json"))).RootElement;
    }

    /// <summary>A file written in the two-rank run.</summary>
    public string TwoRankFile(params string[] parts)
    {
        RequireMpi();
        return Path.Combine([folders.Value.Two, .. parts]);
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
