using IlgpuSnn.Hdf5.Nir;
using IlgpuSnn.Tests.Reliability;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Hdf5;

/// <summary>`snn export nir RUN_DIR FILE.nir` on runs made by `snn train`.</summary>
public sealed class ExportCliTests
{
    [Fact]
    public void A_hard_reset_run_exports_and_a_soft_reset_run_is_refused_unless_allowed()
    {
        CliProcess.RequireBuilt();
        using var dir = new TempFolder();
        CliProcess.WriteDataset(dir, train: 64, test: 16);
        var hard = dir.File("hard");
        var trained = CliProcess.Run(300, "train", "--dataset", dir.Path, "--out", hard, "--epochs", "1", "-T", "2", "--reset", "hard", "--model", "conv");
        Assert.True(trained.Code == 0, trained.Err + trained.Out);
        var nir = dir.File("net.nir");
        var exported = CliProcess.Run(120, "export", "nir", hard, nir);
        Assert.True(exported.Code == 0, exported.Err);
        Assert.Contains("Input → Conv2d → LIF → AvgPool2d → Conv2d → LIF → AvgPool2d → Flatten → Affine → Output", exported.Out);
        var graph = NirFile.Read(nir);
        Assert.Equal(10, graph.Nodes.Count);
        CliProcess.AssertOneLineError(CliProcess.Run(60, "export", "nir", hard, nir), "--overwrite");

        var soft = dir.File("soft");
        Assert.Equal(0, CliProcess.Run(300, "train", "--dataset", dir.Path, "--out", soft, "--epochs", "1", "-T", "2").Code);
        CliProcess.AssertOneLineError(CliProcess.Run(60, "export", "nir", soft, dir.File("soft.nir")), "soft reset");
        Assert.Equal(0, CliProcess.Run(60, "export", "nir", soft, dir.File("soft.nir"), "--allow-soft-reset").Code);
        CliProcess.AssertOneLineError(CliProcess.Run(60, "export", "nir", dir.File("no-run"), dir.File("x.nir")), "no-run");
    }
}
