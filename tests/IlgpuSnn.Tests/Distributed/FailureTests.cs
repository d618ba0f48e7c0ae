using System.Globalization;
using IlgpuSnn.Data;

namespace IlgpuSnn.Tests.Distributed;

/// <summary>
/// One rank of two fails while the other waits in a collective: the whole job must end non-zero within seconds, not
/// hang until the job time-out (120 s here). "abort": the failing rank's handler calls MPI_Abort; "crash": the rank
/// exits with code 4 without finalising MPI, and mpirun ends the job. And the same through `snn train` itself: a user
/// error seen by one rank only is one line and exit code 2 for the whole job.
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

    [Fact]
    public void Snn_train_under_mpirun_reports_a_damaged_checkpoint_in_one_line_and_ends_the_job_non_zero()
    {
        if (MpiJob.Unavailable() is { } reason) Assert.Skip($"MPI tests need Open MPI: {reason}");
        var cli = MpiJob.Cli();
        if (cli is null) Assert.Skip("the snn command is not built beside the tests (dotnet build IlgpuSnn.sln -c Release)");
        if (!Directory.Exists(VisionDatasets.FashionMnistFolder)) Assert.Skip($"{VisionDatasets.FashionMnistFolder} is absent (apt-get install dataset-fashion-mnist)");
        var folder = Directory.CreateTempSubdirectory("ilgpusnn-mpi-cli-").FullName;
        try
        {
            // Only rank 0 reads the checkpoint; rank 1 waits for it in the broadcast and must not wait forever.
            var damaged = Enumerable.Range(0, 300).Select(i => (byte)(i * 37 + 11)).ToArray();
            var checkpoint = Path.Combine(folder, "checkpoint.safetensors");
            File.WriteAllBytes(checkpoint, damaged);
            var outcome = MpiJob.RunProgram(2, 120, cli, "train", "--train-limit", "128", "--test-limit", "64", "--epochs", "1", "--out", folder, "--resume");
            Assert.Equal(2, outcome.ExitCode);
            Assert.Contains("rank 0: ", outcome.Output, StringComparison.Ordinal);
            Assert.Contains("checkpoint.safetensors", outcome.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", outcome.Output, StringComparison.Ordinal);
            Assert.Equal(damaged, File.ReadAllBytes(checkpoint));
            Assert.True(outcome.Elapsed < TimeSpan.FromSeconds(110), $"the job took {outcome.Elapsed.TotalSeconds:F0} s:\n{outcome.Output}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
