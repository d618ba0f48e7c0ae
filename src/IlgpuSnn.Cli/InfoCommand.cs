using System.CommandLine;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Cli;

/// <summary>`snn info`: lists the devices, their API versions and capabilities, and the devices ILGPU refuses.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "List the compute devices present, in the order of preference, and those found but refused.");
        command.SetAction(_ =>
        {
            foreach (var d in Device.ListAvailable())
            {
                Console.WriteLine(d.Kind == "cpu" ? $"{d.Id,-10} {d.Name} (host memory)" : $"{d.Id,-10} {d.Name} ({d.MemoryBytes / (1024 * 1024)} MiB)");
                if (d.Version.Length > 0) Console.WriteLine($"{"",-10} {d.Version}");
                if (d.Capabilities.Count > 0) Console.WriteLine($"{"",-10} {string.Join(", ", d.Capabilities)}");
            }
            foreach (var r in Device.ListRefused())
                Console.WriteLine($"{"refused",-10} {r}");
            Console.WriteLine($"Select with --device KIND[:INDEX] or {Device.EnvironmentVariable}.");
            foreach (var line in DistributedRun.Describe()) Console.WriteLine(line);
            return 0;
        });
        return command;
    }
}
