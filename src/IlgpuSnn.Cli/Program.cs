using System.CommandLine;
using IlgpuSnn.Cli;

var root = new RootCommand("IlgpuSnn: train spiking neural networks on CUDA, OpenCL or the CPU.");
root.Options.Add(CliErrors.Verbose);
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(GradCheckCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(ConvertCommand.Create());
root.Subcommands.Add(PlotCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
// Ctrl-C is ours (Interrupt): System.CommandLine's termination handler would abort a second Ctrl-C with an exception.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
var parse = root.Parse(args);
// A mistyped option or value is one line naming it and exit code 2, not System.CommandLine's usage dump.
if (parse.Errors.Count > 0)
{
    var help = parse.CommandResult.Command == root ? "snn --help" : $"snn {parse.CommandResult.Command.Name} --help";
    Console.Error.WriteLine($"snn: {string.Join(" ", parse.Errors.Select(e => e.Message))} (see '{help}').");
    return CliErrors.UserError;
}
return await parse.InvokeAsync(invocation, Interrupt.Current.Token).ConfigureAwait(false);
