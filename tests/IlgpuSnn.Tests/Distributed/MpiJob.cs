using System.Diagnostics;
using System.Runtime.InteropServices;
using IlgpuSnn.Distributed;

namespace IlgpuSnn.Tests.Distributed;

/// <summary>
/// Starts the distributed worker program, alone or as ranks under Open MPI's mpirun with the settings for one machine
/// (shared-memory transport, loopback for the run-time, yielding when idle, a job time-out), and waits a bounded time.
/// </summary>
public static class MpiJob
{
    /// <summary>The outcome of one run.</summary>
    public sealed record Outcome(int ExitCode, string Output, TimeSpan Elapsed, DateTimeOffset Ended);

    /// <summary>Why MPI jobs cannot run here, or null when they can.</summary>
    public static string? Unavailable()
    {
        if (FindOnPath("mpirun") is null) return "mpirun is absent (apt-get install openmpi-bin)";
        if (!MpiCommunicator.IsAvailable(out var reason)) return reason;
        return null;
    }

    /// <summary>Runs the worker with <paramref name="arguments"/> under mpirun with <paramref name="ranks"/> ranks (0: without mpirun).</summary>
    public static Outcome Run(int ranks, int timeoutSeconds, params string[] arguments)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "IlgpuSnn.DistributedWorker.dll");
        if (!File.Exists(worker)) throw new FileNotFoundException($"the worker program is not built next to the tests: {worker}");
        return RunProgram(ranks, timeoutSeconds, worker, arguments);
    }

    /// <summary>
    /// The `snn` command built beside this test build (src/IlgpuSnn.Cli/bin/CONFIG/net10.0/snn.dll, as the README's
    /// test command builds it), or null when it is not there.
    /// </summary>
    public static string? Cli()
    {
        var build = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = build.Parent?.Name ?? "Release";
        for (var d = build; d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "IlgpuSnn.sln")))
            {
                var cli = Path.Combine(d.FullName, "src", "IlgpuSnn.Cli", "bin", configuration, build.Name, "snn.dll");
                return File.Exists(cli) ? cli : null;
            }
        return null;
    }

    /// <summary>Runs the .NET program <paramref name="program"/> (a dll) like <see cref="Run"/>.</summary>
    public static Outcome RunProgram(int ranks, int timeoutSeconds, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (ranks == 0)
        {
            start.FileName = DotnetHost();
        }
        else
        {
            start.FileName = FindOnPath("mpirun")!;
            foreach (var a in new[]
            {
                "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "--oversubscribe",
                "--mca", "btl", "self,vader", "--mca", "oob_tcp_if_include", "lo", "--mca", "mpi_yield_when_idle", "1",
                "--timeout", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), DotnetHost(),
            })
                start.ArgumentList.Add(a);
        }
        start.ArgumentList.Add(program);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        start.Environment["TERM"] = "dumb";
        start.Environment.Remove(Communicator.EnvironmentVariable);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds + 30)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        var ended = DateTimeOffset.UtcNow;
        return new Outcome(process.ExitCode, stdout.Result + stderr.Result, watch.Elapsed, ended);
    }

    /// <summary>The dotnet executable running this process's runtime.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
