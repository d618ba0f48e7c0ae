using IlgpuSnn.Data;
using IlgpuSnn.Training;

namespace IlgpuSnn.Cli;

/// <summary>
/// The warm-up of `snn train` (<see cref="TrainingWarmUp"/> on a scratch copy of the run) on a thread of its own, started
/// while the main thread loads the dataset, which does not use the device. The main thread calls <see cref="Finish"/>
/// (or <see cref="Abandon"/>) before it uses the device again.
/// </summary>
internal sealed class BackgroundWarmUp : IDisposable
{
    private readonly CancellationTokenSource stop;
    private readonly Task<WarmUpReport> task;

    private BackgroundWarmUp(Func<TrainingSetup> build, ImageSplitShape shape, int batchSize, CancellationToken cancellationToken)
    {
        stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        task = Task.Run(() =>
        {
            using var scratch = build();
            return TrainingWarmUp.Run(scratch.Trainer, shape, batchSize, token);
        }, token);
    }

    /// <summary>Starts building the scratch copy with <paramref name="build"/> and warming up with one batch of <paramref name="batchSize"/>.</summary>
    public static BackgroundWarmUp Start(Func<TrainingSetup> build, ImageSplitShape shape, int batchSize, CancellationToken cancellationToken) =>
        new(build, shape, batchSize, cancellationToken);

    /// <summary>Waits for the warm-up; a failure of it (a setting the run refuses too, or a stop) is thrown here.</summary>
    public WarmUpReport Finish() => task.GetAwaiter().GetResult();

    /// <summary>Stops the warm-up and waits for it, ignoring its outcome: the run failed for another reason first.</summary>
    public void Abandon()
    {
        stop.Cancel();
        try
        {
            task.Wait();
        }
        catch (AggregateException)
        {
            // Its outcome no longer matters; the caller reports its own failure.
        }
    }

    /// <summary>Frees the cancellation source (after <see cref="Finish"/> or <see cref="Abandon"/>).</summary>
    public void Dispose() => stop.Dispose();
}
