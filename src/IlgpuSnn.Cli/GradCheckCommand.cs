using System.CommandLine;
using IlgpuSnn.Tools.GradCheck;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Cli;

/// <summary>`snn gradcheck CASE.json`: loss, spikes and gradients of a tiny network at fixed weights, as JSON.</summary>
internal static class GradCheckCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("case") { Description = "The case as JSON (see README); '-' reads standard input." };
        var device = new Option<string?>("--device") { Description = "cuda, opencl or cpu[:index] (default: CPU)." };
        var command = new Command("gradcheck", "Compute the loss and gradients of a small fully connected SNN for one estimator and print them as JSON.")
        {
            file, device,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            try
            {
                var json = path.Name == "-" ? Console.In.ReadToEnd() : File.ReadAllText(path.FullName);
                var c = GradCheckCase.Parse(json);
                using var d = Device.Create(parse.GetValue(device) ?? "cpu");
                Console.WriteLine(GradCheckRunner.ToJson(GradCheckRunner.Run(d, c)));
                return 0;
            }
            catch (Exception e) when (e is FormatException or FileNotFoundException or ArgumentException or DirectoryNotFoundException)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
        });
        return command;
    }
}
