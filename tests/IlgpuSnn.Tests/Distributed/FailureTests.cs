using System.Globalization;

namespace IlgpuSnn.Tests.Distributed;

/// <summary>
/// One rank of two fails while the other waits in a collective: the whole job must end non-zero within seconds, not
/// hang until the job time-out (120 s here). "abort": the failing rank's handler calls MPI_Abort; "crash": the rank
/// exits with code 4 without finalising MPI, and mpirun ends the job.
/// </summary>
public sealed class FailureTests
{
    [Theory]
    [InlineData("abort")]
    [InlineData("crash")]
    public void A_failing_rank_ends_the_whole_job_non_zero_within_seconds(string how)
    {
        if (MpiJob.Unavailable() is { } reason) Assert.Skip($"MPI tests need Open MPI: {reason}");
        var folder = Directory.CreateTempSubdirectory("ilgpusnn-mpi-fail-").FullName;
        try
        {
            var outcome = MpiJob.Run(2, 120, "fail", folder, how);
            Assert.NotEqual(0, outcome.ExitCode);
            var failedAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(File.ReadAllText(Path.Combine(folder, "failed-at.txt")), CultureInfo.InvariantCulture));
            var lag = outcome.Ended - failedAt;
            Assert.True(lag < TimeSpan.FromSeconds(15), $"the job ended {lag.TotalSeconds:F1} s after the rank failed:\n{outcome.Output}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
