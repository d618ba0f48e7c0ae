using System.Diagnostics;
using IlgpuSnn.Tests.Data;

using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Reliability;

/// <summary>Runs the built `snn` command as a real process (SIGINT at its default disposition), with a time limit.</summary>
internal static class CliProcess
{
    /// <summary>The CLI's snn.dll built beside this test assembly's configuration, or null when absent (e.g. a packed GPU run).</summary>
    public static string? Dll { get; } = Locate();

    /// <summary>Skips the calling test when the CLI was not built.</summary>
    public static void RequireBuilt()
    {
        if (Dll is null) Assert.Skip("the snn CLI is not built beside the tests (src/IlgpuSnn.Cli/bin/<Configuration>/net10.0/snn.dll)");
        if (!OperatingSystem.IsLinux()) Assert.Skip("the CLI process tests use env --default-signal (Linux)");
    }

    /// <summary>Starts `snn <paramref name="args"/>`.</summary>
    public static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // A test runner started in the background has SIGINT ignored, which its children inherit; undo that.
        foreach (var a in (string[])["--default-signal=INT", "dotnet", Dll!, .. args]) info.ArgumentList.Add(a);
        info.Environment["ILGPUSNN_DEVICE"] = "cpu";
        return Process.Start(info)!;
    }

    /// <summary>Runs `snn <paramref name="args"/>` to the end (at most <paramref name="seconds"/>).</summary>
    public static (int Code, string Out, string Err) Run(int seconds, params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(seconds)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"snn {string.Join(' ', args)} did not finish within {seconds} s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Asserts a one-line user error with exit code 2 and no stack trace; returns the line.</summary>
    public static string AssertOneLineError((int Code, string Out, string Err) result, string mustContain)
    {
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(result.Code == 2, $"exit {result.Code}; stderr: {result.Err}");
        Assert.Single(lines);
        Assert.DoesNotContain("   at ", result.Err, StringComparison.Ordinal);
        Assert.Contains(mustContain, lines[0], StringComparison.Ordinal);
        return lines[0];
    }

    /// <summary>Writes a tiny MNIST-style dataset (8x8 images) into <paramref name="folder"/>.</summary>
    public static void WriteDataset(TempFolder folder, int train = 128, int test = 32)
    {
        var rng = new Random(3);
        foreach (var (name, n) in new[] { ("train", train), ("t10k", test) })
        {
            var labels = Enumerable.Range(0, n).Select(_ => (byte)rng.Next(10)).ToArray();
            var pixels = new byte[n * 64];
            for (int i = 0; i < n; i++)
                for (int p = 0; p < 64; p++) pixels[i * 64 + p] = (byte)(p / 6 == labels[i] ? 255 : rng.Next(60));
            File.WriteAllBytes(folder.File($"{name}-images-idx3-ubyte"), IdxBytes.Build(0x08, [n, 8, 8], pixels));
            File.WriteAllBytes(folder.File($"{name}-labels-idx1-ubyte"), IdxBytes.Build(0x08, [n], labels));
        }
    }

    private static string? Locate()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        // tests/IlgpuSnn.Tests/bin/<Configuration>/net10.0/ → the repository root and the configuration.
        string? configuration = dir.Parent?.Name;
        for (var d = dir; d is not null; d = d.Parent)
        {
            if (!File.Exists(Path.Combine(d.FullName, "IlgpuSnn.sln"))) continue;
            var dll = Path.Combine(d.FullName, "src", "IlgpuSnn.Cli", "bin", configuration ?? "Release", "net10.0", "snn.dll");
            return File.Exists(dll) ? dll : null;
        }
        return null;
    }
}
