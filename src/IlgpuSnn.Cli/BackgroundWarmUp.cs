using IlgpuSnn.Data;
using IlgpuSnn.Training;

namespace IlgpuSnn.Cli;

/// <summary>
/// The warm-up of `snn train` (<see cref="TrainingWarmUp"/> on a scratch copy of the run) on a thread of its own while
/// the dataset loads, stopped at its next step once the data is ready, so that it never delays the run by more than a
/// step. Its own thread keeps the thread-bound state of a stopped iteration (tape, tensor scope) away from the run's.
/// The caller uses the device again only after <see cref="Finish"/>.
/// </summary>
internal sealed class BackgroundWarmUp : IDisposable
{
    private readonly CancellationTokenSource stop;
    private readonly Task<WarmUpReport> task;

    /// <summary>Builds the scratch copy with <paramref name="build"/> and warms up with one batch of <paramref name="batchSize"/> until <paramref name="dataReady"/> completes.</summary>
    public BackgroundWarmUp(Func<TrainingSetup> build, ImageSplitShape shape, int batchSize, Task dataReady, CancellationToken cancellationToken)
    {
        stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        task = Task.Factory.StartNew(() =>
        {
            using var scratch = build();
            return TrainingWarmUp.Run(scratch.Trainer, shape, batchSize, token);
        }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        dataReady.ContinueWith(_ => stop.Cancel(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Waits for the warm-up to end; null when it was stopped before it began. Its failures other than a stop (a setting the
    /// run would refuse too) are thrown here; a stop by the user shows in the run that follows.
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

    /// <summary>Frees the cancellation source (after <see cref="Finish"/>).</summary>
    public void Dispose() => stop.Dispose();
}
