using System.CommandLine;
using IlgpuSnn.Cli;

var root = new RootCommand("IlgpuSnn: train spiking neural networks on CUDA, OpenCL or the CPU.");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(GradCheckCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(ConvertCommand.Create());
root.Subcommands.Add(PlotCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
