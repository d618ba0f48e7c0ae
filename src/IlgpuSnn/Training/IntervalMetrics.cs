using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>
/// Each batch's loss and correct count of one logging interval, kept on the device (one row per batch) and read back
/// together, so that training and evaluation synchronise with the device once per interval, not once per batch.
/// </summary>
internal sealed class IntervalMetrics : IDisposable
{
    private const int Fields = 2;
    private readonly Tensor values;

    public IntervalMetrics(Device device, int rows)
    {
        Rows = rows;
        using (TensorScope.Suspend()) values = Tensor.Zeros(device, rows * Fields);
    }

    /// <summary>Batches the interval holds.</summary>
    public int Rows { get; }

    /// <summary>Enqueues row <paramref name="row"/>: the loss [1] and the number of rows of <paramref name="outputSum"/> whose argmax is the label.</summary>
    public void Record(int row, Tensor loss, Tensor outputSum, Tensor labels)
    {
        using var lossSlot = values.Slice(row * Fields, 1);
        Ops.CopyFrom(loss.View, lossSlot);
        Ops.CountCorrectInto(outputSum, labels, values.View.SubView(row * Fields + 1, 1));
    }

    /// <summary>Waits for the device once and returns the first <paramref name="count"/> rows as (loss, correct).</summary>
    public (float Loss, int Correct)[] Read(int count)
    {
        var host = values.ToArray();
        return Enumerable.Range(0, count).Select(r => (host[r * Fields], (int)MathF.Round(host[r * Fields + 1]))).ToArray();
    }

    public void Dispose() => values.Dispose();
}
