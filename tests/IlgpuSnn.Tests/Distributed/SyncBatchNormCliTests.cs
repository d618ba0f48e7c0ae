using System.Text.Json;
using IlgpuSnn.Data;

namespace IlgpuSnn.Tests.Distributed;

/// <summary>
/// `mpirun -np 2 snn train --sync-bn` on Fashion-MNIST: the run records synchronised BatchNorm and its all-reduces (the
/// mlp model's one BatchNorm, folded BPTT: one in the forward and one in the backward of each of the 2 global batches);
/// ratebp, whose rate pass keeps per-rank statistics, is refused in one line with exit code 2.
/// </summary>
public sealed class SyncBatchNormCliTests
{
    private static string Cli()
    {
        if (MpiJob.Unavailable() is { } reason) Assert.Skip($"MPI tests need Open MPI: {reason}");
        var cli = MpiJob.Cli();
        if (cli is null) Assert.Skip("the snn command is not built beside the tests (dotnet build IlgpuSnn.sln -c Release)");
        if (!Directory.Exists(VisionDatasets.FashionMnistFolder)) Assert.Skip($"{VisionDatasets.FashionMnistFolder} is absent (apt-get install dataset-fashion-mnist)");
        return cli;
    }

    [Fact]
    public void Two_ranks_train_with_synchronised_BatchNorm_and_record_it()
    {
        var cli = Cli();
        var folder = Directory.CreateTempSubdirectory("ilgpusnn-mpi-syncbn-").FullName;
        try
        {
            var outcome = MpiJob.RunProgram(2, 120, cli, "train", "--train-limit", "128", "--test-limit", "64", "--epochs", "1", "--batch-size", "64",
                "--sync-bn", "--out", folder);
            Assert.True(outcome.ExitCode == 0, outcome.Output);
            Assert.Contains("synchronised BatchNorm", outcome.Output, StringComparison.Ordinal);
            var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json"))).RootElement;
            Assert.Equal(2, json.GetProperty("world_size").GetInt32());
            Assert.True(json.GetProperty("sync_bn").GetBoolean());
            Assert.Equal(4, json.GetProperty("bn_all_reduce_calls").GetInt64());
            Assert.True(json.GetProperty("bn_all_reduce_bytes").GetInt64() > 0);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Ratebp_with_synchronised_BatchNorm_is_refused_in_one_line()
    {
        var cli = Cli();
        var folder = Directory.CreateTempSubdirectory("ilgpusnn-mpi-syncbn-").FullName;
        try
        {
            var outcome = MpiJob.RunProgram(2, 120, cli, "train", "--estimator", "ratebp", "--train-limit", "64", "--test-limit", "32", "--epochs", "1",
                "--sync-bn", "--out", folder);
            Assert.Equal(2, outcome.ExitCode);
            Assert.Contains("synchronised BatchNorm is not available with ratebp", outcome.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", outcome.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
