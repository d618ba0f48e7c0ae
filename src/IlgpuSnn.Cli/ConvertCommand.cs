using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using IlgpuSnn.Data;
using IlgpuSnn.Data.Events;

namespace IlgpuSnn.Cli;

/// <summary>`snn convert`: an image dataset seen by a simulated event camera making three saccades, written as N-MNIST.</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "fashion-mnist, mnist, or a folder with IDX files.", DefaultValueFactory = _ => "fashion-mnist" };
        var output = new Option<string>("--out") { Description = "Folder that receives Train/<class>/*.bin and Test/<class>/*.bin.", Required = true };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Convert only the first N training images." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Convert only the first N test images." };
        var threshold = new Option<double>("--threshold") { Description = "Contrast threshold C (log intensity).", DefaultValueFactory = _ => new SaccadeOptions().Threshold };
        var refractory = new Option<long>("--refractory-us") { Description = "Refractory period of a pixel (µs).", DefaultValueFactory = _ => new SaccadeOptions().RefractoryUs };
        var command = new Command("convert", "Turn an image dataset into event streams (three saccades of a simulated DVS camera), in N-MNIST .bin format.")
        {
            dataset, output, trainLimit, testLimit, threshold, refractory,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            try
            {
                var (train, test) = VisionDatasets.Load(parse.GetValue(dataset)!);
                if (parse.GetValue(trainLimit) is { } tl) train = train.Take(Math.Min(tl, train.Count));
                if (parse.GetValue(testLimit) is { } el) test = test.Take(Math.Min(el, test.Count));
                var options = new SaccadeOptions { Threshold = parse.GetValue(threshold), RefractoryUs = parse.GetValue(refractory) };
                var dir = parse.GetValue(output)!;
                var watch = Stopwatch.StartNew();
                int written = SaccadeConverter.WriteSplit(train, dir, "Train", options, new Progress<int>(n => Console.WriteLine($"Train: {n}/{train.Count}")), cancellationToken)
                    + SaccadeConverter.WriteSplit(test, dir, "Test", options, null, cancellationToken);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{written} files written ({train.Count + test.Count - written} already there) to {Path.GetFullPath(dir)} in {watch.Elapsed.TotalSeconds:F0} s; train with --dataset nmnist:{dir}"));
                return Task.FromResult(0);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("Cancelled; the files written so far are complete, and a rerun with the same options finishes the rest.");
                return Task.FromResult(130);
            }
            catch (Exception e) when (e is ArgumentException or FileNotFoundException or InvalidDataException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine(e.Message);
                return Task.FromResult(2);
            }
        });
        return command;
    }
}
