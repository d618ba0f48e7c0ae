using System.Text.Json;
using IlgpuSnn.Tests.Reliability;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Hdf5;

/// <summary>`snn train --dataset shd:PATH --model rsnn` on a small generated SHD folder.</summary>
public sealed class ShdTrainingTests
{
    /// <summary>
    /// Two classes told apart by where their spikes fall: class 0 fires channels 0–99 early, class 1 channels 600–699
    /// late (seeded noise on top). argv[1] = folder.
    /// </summary>
    private const string Writer = """
        rng = np.random.default_rng(5)
        for split, n in (('train', 64), ('test', 32)):
            with h5py.File(f'{sys.argv[1]}/shd_{split}.h5', 'w') as f:
                t = f.create_dataset('spikes/times', (n,), dtype=h5py.vlen_dtype(np.dtype('float32')))
                u = f.create_dataset('spikes/units', (n,), dtype=h5py.vlen_dtype(np.dtype('uint16')))
                labels = np.arange(n) % 2
                for i in range(n):
                    k = 40
                    base = 0 if labels[i] == 0 else 600
                    times = np.sort(rng.uniform(0.0, 0.5, k) + (0.0 if labels[i] == 0 else 0.5)).astype('float32')
                    t[i] = times
                    u[i] = (base + rng.integers(0, 100, k)).astype('uint16')
                f.create_dataset('labels', data=labels.astype('uint16'))
        """;

    [Fact]
    public void A_recurrent_network_learns_a_separable_spike_train_task_through_the_cli()
    {
        CliProcess.RequireBuilt();
        H5py.Require();
        using var dir = new TempFolder();
        H5py.Run(Writer, dir.Path);
        var outDir = dir.File("run");
        var (code, stdout, stderr) = CliProcess.Run(600, "train", "--dataset", $"shd:{dir.Path}", "--model", "rsnn", "--frames", "4",
            "--split-by", "duration", "--duration-us", "250000", "-T", "4", "--epochs", "3", "--batch-size", "16", "--lr", "0.05",
            "--frame-size", "70", "--out", outDir);
        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains("shd: 64 training and 32 test spike trains read and binned into 4 steps of 70 channels", stdout);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
        double accuracy = metrics.RootElement.GetProperty("test_accuracy").GetDouble();
        Assert.True(accuracy >= 0.9, $"test accuracy {accuracy} on a linearly separable task");
    }

    [Fact]
    public void A_missing_split_is_one_line_naming_the_file()
    {
        CliProcess.RequireBuilt();
        using var dir = new TempFolder();
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "--dataset", $"shd:{dir.Path}", "--model", "rsnn", "--out", dir.File("o")), "shd_train.h5");
    }
}
