using IlgpuSnn.Data;
using IlgpuSnn.Training;

namespace IlgpuSnn.Cli;

/// <summary>
/// The warm-up of `snn train` (<see cref="TrainingWarmUp"/> on a scratch copy of the run) on a thread of its own while
/// the dataset loads on another. Its own thread keeps the thread-bound state of an iteration stopped by Ctrl-C (tape,
/// tensor scope) away from the run's. The caller uses the device again only after <see cref="Finish"/> or <see cref="Stop"/>.
/// </summary>
internal sealed class BackgroundWarmUp : IDisposable
{
    private readonly CancellationTokenSource stop;
    private readonly Task<WarmUpReport> task;

    /// <summary>Builds the scratch copy with <paramref name="build"/> and trains and evaluates one synthetic batch of <paramref name="batchSize"/>.</summary>
    public BackgroundWarmUp(Func<TrainingSetup> build, ImageSplitShape shape, int batchSize, CancellationToken cancellationToken)
    {
        stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        task = Task.Factory.StartNew(() =>
        {
            using var scratch = build();
            return TrainingWarmUp.Run(scratch.Trainer, shape, batchSize, token);
        }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Waits for the warm-up; null when it was stopped before it began. Its failures other than a stop (a setting the run
    /// would refuse too) are thrown here; a stop by the user (Ctrl-C) shows in the run that follows.
    /// </summary>
    public WarmUpReport? Finish()
    {
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Stops the warm-up at its next step and waits for it, ignoring its outcome: the run failed for another reason.</summary>
    public void Stop()
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

    /// <summary>Frees the cancellation source (after <see cref="Finish"/> or <see cref="Stop"/>).</summary>
    public void Dispose() => stop.Dispose();
}
