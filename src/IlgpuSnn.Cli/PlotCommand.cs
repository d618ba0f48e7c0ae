using System.CommandLine;
using IlgpuSnn.Data.Events;
using IlgpuSnn.Plotting;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Cli;

/// <summary>`snn plot curves|rates|frames`: training curves of one or more runs, firing rates per layer over a run, and the event frames of one sample.</summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var command = new Command("plot", "Draw PNG pictures: training curves of runs (snn plot curves), firing rates per layer (snn plot rates), event frames of a sample (snn plot frames).");
        command.Subcommands.Add(Curves());
        command.Subcommands.Add(Rates());
        command.Subcommands.Add(Frames());
        return command;
    }

    private static Command Curves()
    {
        var runs = new Argument<string[]>("RUN") { Description = "Run folders or metrics.json files (several are overlaid).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "PNG file.", DefaultValueFactory = _ => "curves.png" };
        var command = new Command("curves", "Loss and accuracy against the epoch, from metrics.json, several runs overlaid.") { runs, output };
        command.SetAction(parse => Guard(() =>
        {
            var list = parse.GetValue(runs)!.Select(r => TrainingRun.Read(Directory.Exists(r) ? Path.Combine(r, "metrics.json") : r)).ToList();
            Console.WriteLine(SnnPlots.TrainingCurves(list, parse.GetValue(output)!));
        }));
        return command;
    }

    private static Command Rates()
    {
        var run = new Argument<string>("RUN") { Description = "A run folder or its metrics.json." };
        var output = new Option<string>("--out") { Description = "PNG file.", DefaultValueFactory = _ => "firing-rates.png" };
        var command = new Command("rates", "Firing rate of every spiking layer at the end of each epoch, from metrics.json.") { run, output };
        command.SetAction(parse => Guard(() =>
        {
            var r = parse.GetValue(run)!;
            Console.WriteLine(SnnPlots.FiringRates(TrainingRun.Read(Directory.Exists(r) ? Path.Combine(r, "metrics.json") : r), parse.GetValue(output)!));
        }));
        return command;
    }

    private static Command Frames()
    {
        var dataset = new Option<string>("--dataset") { Description = "NAME:PATH of an event dataset (nmnist, cifar10-dvs, dvs-gesture).", Required = true };
        var index = new Option<int>("--index") { Description = "Sample of the test split.", DefaultValueFactory = _ => 0 };
        var frames = FrameCommandOptions.Create();
        var output = new Option<string>("--out") { Description = "PNG file.", DefaultValueFactory = _ => "frames.png" };
        var command = new Command("frames", "The event frames of one test sample, side by side.") { dataset, index, output, frames.Frames, frames.SplitBy, frames.Duration, frames.Size };
        command.SetAction(parse => Guard(() =>
        {
            var spec = parse.GetValue(dataset)!;
            var (name, path) = DatasetSpec.Split(spec) ?? throw new ArgumentException($"--dataset {spec}: expected NAME:PATH with NAME one of {string.Join(", ", DatasetSpec.EventNames)}.");
            var test = name switch
            {
                "nmnist" => EventDatasets.NMnist(path).Test,
                "cifar10-dvs" => EventDatasets.Cifar10Dvs(path).Test,
                "dvs-gesture" => EventDatasets.DvsGesture(path).Test,
                _ => throw new ArgumentException($"--dataset {spec}: '{name}' is not an event dataset."),
            };
            int i = parse.GetValue(index);
            if ((uint)i >= (uint)test.Count) throw new ArgumentException($"--index {i}: the test split has {test.Count} samples.");
            var settings = frames.Read(parse);
            var split = Enum.TryParse<FrameSplit>(settings.SplitBy, ignoreCase: true, out var s) ? s : throw new ArgumentException($"--split-by {settings.SplitBy}: valid are count, time, duration.");
            var options = new Data.Events.FrameOptions(settings.Frames, split, settings.DurationUs, settings.FrameSize, settings.FrameSize);
            var (w, h) = options.Resolve(test.Width, test.Height);
            using var device = Device.Create();
            var pixels = EventFrames.Integrate(device, test.Load(i), options);
            Console.WriteLine(SnnPlots.EventFrameStrip(pixels, settings.Frames, h, w, parse.GetValue(output)!,
                $"{test.Name} sample {i} (class {test.Samples[i].Label}): {settings.Frames} frames by {settings.SplitBy}, ON − OFF"));
        }));
        return command;
    }

    private static int Guard(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or InvalidDataException or DirectoryNotFoundException or IOException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }
}
