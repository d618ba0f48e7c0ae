using System.Text.Json;
using IlgpuSnn.Tests.Data;

using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Reliability;

/// <summary>The `snn` command as a user meets it: one line and a non-zero exit for every mistake, safe Ctrl-C.</summary>
public sealed class CliTests
{
    [Fact]
    public void Bad_options_fail_in_one_line_before_any_data_is_loaded()
    {
        CliProcess.RequireBuilt();
        using var tmp = new TempFolder();
        // The dataset does not exist: each option error must come first.
        string missing = tmp.File("no-such-dataset");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "--dataset", missing, "--out", tmp.File("o"), "--epochs", "0"), "--epochs");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "--dataset", missing, "--out", tmp.File("o"), "--lr", "NaN"), "--lr");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "--dataset", missing, "--out", tmp.File("o"), "--estimator", "bpt"), "--estimator");
        File.WriteAllText(tmp.File("a-file"), "mine");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "--dataset", missing, "--out", tmp.File("a-file")), "a-file");
        Assert.Equal("mine", File.ReadAllText(tmp.File("a-file")));
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "--dataset", missing, "--out", "/proc/snn-out"), "/proc/snn-out");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "--dataset", missing, "--out", tmp.File("typo"), "--resume"), "typo");
        Assert.False(Directory.Exists(tmp.File("typo")));
        CliProcess.AssertOneLineError(CliProcess.Run(60, "compare", "--dataset", missing, "--out", tmp.File("a-file")), "a-file");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "gradcheck", tmp.Path), tmp.Path);
    }

    [Fact]
    public void Mistyped_values_and_unknown_options_are_one_line_not_a_usage_dump()
    {
        CliProcess.RequireBuilt();
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "-T", "abc"), "abc");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "train", "--no-such-option"), "--no-such-option");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "trian"), "trian");
    }

    [Fact]
    public void Verbose_shows_the_stack()
    {
        CliProcess.RequireBuilt();
        using var tmp = new TempFolder();
        var (code, _, err) = CliProcess.Run(60, "train", "--dataset", tmp.File("none"), "--out", tmp.File("o"), "--verbose");
        Assert.Equal(2, code);
        Assert.Contains("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_that_cannot_fit_is_refused_with_needs_and_has()
    {
        CliProcess.RequireBuilt();
        using var data = new TempFolder();
        CliProcess.WriteDataset(data);
        var line = CliProcess.AssertOneLineError(CliProcess.Run(120, "train", "--dataset", data.Path, "--out", data.File("o"), "-T", "100000000"), "needs");
        Assert.Contains(" has ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_learning_rate_stops_with_epoch_and_batch_and_a_non_finite_gradcheck_input_is_refused()
    {
        CliProcess.RequireBuilt();
        using var data = new TempFolder();
        CliProcess.WriteDataset(data);
        var line = CliProcess.AssertOneLineError(CliProcess.Run(180, "train", "--dataset", data.Path, "--out", data.File("o"), "--lr", "1e30", "--epochs", "1"), "epoch 1, batch");
        Assert.Contains("Non-finite", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data.File("o"), "checkpoint.safetensors")));
        File.WriteAllText(data.File("case.json"), """{"inputs": [[1e39]], "target": [0.5], "layers": [[[0.8]]], "readout": [[1.0]]}""");
        CliProcess.AssertOneLineError(CliProcess.Run(60, "gradcheck", data.File("case.json")), "inputs[0][0]");
    }

    [Fact]
    public void Compare_writes_each_estimators_row_as_it_finishes()
    {
        CliProcess.RequireBuilt();
        using var data = new TempFolder();
        CliProcess.WriteDataset(data, train: 64, test: 16);
        var outDir = data.File("cmp");
        var (code, _, err) = CliProcess.Run(300, "compare", "--dataset", data.Path, "--out", outDir, "--estimators", "bptt,sltt", "--memory-steps", "2", "-T", "2", "--epochs", "1");
        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "compare.json")));
        Assert.Equal(2, json.RootElement.GetArrayLength());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(outDir, "compare.csv")).Length);
    }

    [Fact]
    public async Task Ctrl_c_is_acknowledged_at_once_honoured_between_time_steps_and_a_second_one_leaves_no_stack_trace()
    {
        CliProcess.RequireBuilt();
        using var data = new TempFolder();
        CliProcess.WriteDataset(data);
        var outDir = data.File("o");
        // SLTT with T = 20000: one batch takes far longer than the test allows, so only a check between time steps stops it in time.
        using var p = CliProcess.Start("train", "--dataset", data.Path, "--out", outDir, "--estimator", "sltt", "-T", "20000", "--epochs", "1");
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        var ct = TestContext.Current.CancellationToken;
        var first = await p.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.StartsWith("Training", first, StringComparison.Ordinal);
        await Task.Delay(2000, ct);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Signal(p.Id);
        while (watch.Elapsed < TimeSpan.FromSeconds(5) && !Has(stderr, "stopping after this step")) await Task.Delay(50, ct);
        Assert.True(Has(stderr, "stopping after this step"), $"no acknowledgement within 5 s: {stderr}");
        Signal(p.Id);
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), "still running 30 s after two Ctrl-C");
        await p.WaitForExitAsync(ct);
        Assert.Equal(130, p.ExitCode);
        var text = stderr.ToString();
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", text, StringComparison.Ordinal);
        Assert.Contains("no checkpoint was written", text, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outDir, "checkpoint.safetensors")));
    }

    private static bool Has(System.Text.StringBuilder sb, string what)
    {
        lock (sb) return sb.ToString().Contains(what, StringComparison.Ordinal);
    }

    private static void Signal(int pid)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
