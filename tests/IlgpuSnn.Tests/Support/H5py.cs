using System.Diagnostics;

namespace IlgpuSnn.Tests.Support;

/// <summary>
/// Runs Python scripts with h5py (Debian's python3-h5py, installed by .ci/run): HDF5 files written and checked by the
/// reference HDF5 library, independent of the PureHDF code under test. Tests skip visibly where it is missing.
/// </summary>
internal static class H5py
{
    private static readonly Lazy<string?> Interpreter = new(Find);

    /// <summary>Skips the calling test when no python3 with h5py is present.</summary>
    public static void Require()
    {
        if (Interpreter.Value is null) Assert.Skip("no python3 with h5py (Debian python3-h5py) is installed; .ci/run installs it");
    }

    /// <summary>Runs <paramref name="script"/> (h5py and numpy imported as h5py, np) with the arguments; returns its standard output.</summary>
    public static string Run(string script, params string[] args)
    {
        Require();
        var info = new ProcessStartInfo(Interpreter.Value!) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import sys, json\nimport h5py\nimport numpy as np\n" + script);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(); throw new TimeoutException("the h5py script did not finish within 60 s"); }
        Assert.True(p.ExitCode == 0, $"the h5py script failed: {stderr.Result}");
        return stdout.Result;
    }

    private static string? Find()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                var info = new ProcessStartInfo(candidate, ["-c", "import h5py, numpy"]) { RedirectStandardError = true, RedirectStandardOutput = true };
                using var p = Process.Start(info);
                if (p is not null && p.WaitForExit(30_000) && p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return null;
    }
}
