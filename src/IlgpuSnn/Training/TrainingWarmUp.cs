using System.Diagnostics;
using IlgpuSnn.Data;

namespace IlgpuSnn.Training;

/// <summary>
/// Readies a device for a training run without touching the run: a scratch trainer, built like the run's (its own
/// network, estimator, optimizer and encoder, on the same device, with no output folder), trains one batch and evaluates
/// one batch of synthetic images of the run's shape. Afterwards every kernel the run's iterations launch is compiled and
/// loaded (an iteration's host code does not depend on the data: it never reads the device), the .NET code on that path
/// is compiled, and the device's memory pool holds buffers of the run's sizes that were already touched. The run itself
/// then starts at its steady speed. It pays only while something else keeps the host busy at the same time (the CLI runs
/// it while the dataset loads): otherwise it moves the same cost before the first epoch.
/// </summary>
public static class TrainingWarmUp
{
    /// <summary>
    /// Trains one batch and evaluates one batch of <paramref name="batchSize"/> synthetic samples with
    /// <paramref name="scratch"/>, whose network, estimator and optimizer are changed and must not be the run's.
    /// </summary>
    /// <param name="scratch">A trainer built like the run's, with its own network, estimator and optimizer, one epoch and no output folder.</param>
    /// <param name="shape">The run's image shape and class count (its <see cref="ImageSplitShape.Count"/> is not used).</param>
    /// <param name="batchSize">Samples in each synthetic split: the run's batch size, so the same kernels and buffer sizes are used.</param>
    /// <param name="cancellationToken">Stops the warm-up where the trainer checks it (between time steps or batches); what was
    /// warmed up until then stays warm, and the report says that it stopped early.</param>
    /// <returns>How long it took, how many kernels it loaded and whether it finished.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> writes an output folder or trains more than one epoch, or <paramref name="batchSize"/> is not positive.</exception>
    public static WarmUpReport Run(Trainer scratch, ImageSplitShape shape, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (scratch.Options.OutputDirectory is not null || scratch.Options.Epochs != 1 || scratch.Options.Resume)
            throw new ArgumentException("TrainingWarmUp: the scratch trainer must train one epoch and write no output folder.", nameof(scratch));
        var activity = scratch.Device.Activity;
        long loads = activity.KernelLoads;
        var loadTime = activity.KernelLoadTime;
        var watch = Stopwatch.StartNew();
        var images = Synthetic(shape, batchSize);
        bool completed = true;
        try
        {
            scratch.Fit(images, images, progress: null, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            completed = false;
        }
        finally
        {
            scratch.Device.Synchronize();
        }
        return new WarmUpReport(watch.Elapsed, activity.KernelLoads - loads, activity.KernelLoadTime - loadTime, completed);
    }

    /// <summary>Images with varied pixels in [0, 1] (so that neurons spike) and labels cycling through the classes.</summary>
    private static ImageDataset Synthetic(ImageSplitShape shape, int samples)
    {
        int size = shape.Channels * shape.Height * shape.Width;
        var pixels = new float[(long)samples * size];
        for (long i = 0; i < pixels.Length; i++) pixels[i] = (float)(i * 37 % 256) / 255f;
        var labels = Enumerable.Range(0, samples).Select(i => i % shape.Classes).ToArray();
        return new ImageDataset(pixels, labels, shape.Channels, shape.Height, shape.Width, shape.Classes, "warm-up");
    }
}

/// <summary>What <see cref="TrainingWarmUp.Run"/> did.</summary>
/// <param name="Elapsed">Wall time of the warm-up.</param>
/// <param name="KernelsLoaded">Kernels it compiled and loaded (those the device had not loaded before).</param>
/// <param name="KernelLoadTime">The part of <paramref name="Elapsed"/> spent loading them.</param>
/// <param name="Completed">False when it was cancelled before the synthetic batches were through.</param>
public sealed record WarmUpReport(TimeSpan Elapsed, long KernelsLoaded, TimeSpan KernelLoadTime, bool Completed);
