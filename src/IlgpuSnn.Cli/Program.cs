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
// Ctrl-C is ours (Interrupt): System.CommandLine's termination handler would abort a second Ctrl-C with an exception.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
return await root.Parse(args).InvokeAsync(invocation, Interrupt.Current.Token).ConfigureAwait(false);
