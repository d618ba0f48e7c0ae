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
        command.SetAction(parse => CliErrors.Run("gradcheck", parse, () =>
        {
            var path = parse.GetValue(file)!;
            var json = path.Name == "-" ? ReadBounded(Console.In, "standard input") : ReadCase(path.FullName);
            var c = GradCheckCase.Parse(json);
            using var d = Device.Create(parse.GetValue(device) ?? "cpu");
            Console.WriteLine(GradCheckRunner.ToJson(GradCheckRunner.Run(d, c)));
            return 0;
        }));
        return command;
    }

    /// <summary>Reads a case file after checking it is a file of at most <see cref="GradCheckCase.MaxChars"/> bytes.</summary>
    private static string ReadCase(string path)
    {
        if (Directory.Exists(path)) throw new ArgumentException($"gradcheck case '{path}' is a folder; give a JSON file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"gradcheck case '{path}' does not exist.", path);
        long length = new FileInfo(path).Length;
        if (length > GradCheckCase.MaxChars)
            throw new FormatException($"gradcheck case '{path}' has {length} bytes; at most {GradCheckCase.MaxChars} are accepted.");
        try
        {
            return File.ReadAllText(path);
        }
        catch (FormatException e)
        {
            throw new FormatException($"gradcheck case '{path}': {e.Message}", e);
        }
    }

    private static string ReadBounded(TextReader reader, string what)
    {
        var buffer = new char[GradCheckCase.MaxChars + 1];
        int n = reader.ReadBlock(buffer, 0, buffer.Length);
        if (n > GradCheckCase.MaxChars) throw new FormatException($"gradcheck case on {what} is longer than {GradCheckCase.MaxChars} characters.");
        return new string(buffer, 0, n);
    }
}
