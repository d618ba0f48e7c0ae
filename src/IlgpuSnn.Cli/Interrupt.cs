namespace IlgpuSnn.Cli;

/// <summary>
/// Ctrl-C (SIGINT) handling owned by the program (System.CommandLine's handler is switched off): the first press is
/// acknowledged at once and cancels <see cref="Token"/>, which the training loop checks between time steps; a second
/// press prints what is on disk and ends the process at once, without a stack trace.
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private int presses;

    private Interrupt() => Console.CancelKeyPress += OnCancelKeyPress;

    /// <summary>The handler of this process (one per process).</summary>
    public static Interrupt Current { get; } = new();

    /// <summary>Cancelled by the first Ctrl-C.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>What is saved right now, for the messages ("the checkpoint in out/ holds epoch 2"); set by the running command.</summary>
    public Func<string> Saved { get; set; } = () => "nothing is being written";

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (Interlocked.Increment(ref presses) == 1)
        {
            e.Cancel = true;
            Console.Error.WriteLine("Ctrl-C: stopping after this step… (press Ctrl-C again to stop at once)");
            source.Cancel();
            return;
        }
        Console.Error.WriteLine($"Ctrl-C again: stopping at once; {Saved()}.");
        e.Cancel = false;
    }

    /// <summary>Removes the handler.</summary>
    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        source.Dispose();
    }
}
