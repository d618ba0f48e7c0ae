namespace IlgpuSnn.Data.Events;

/// <summary>
/// One labelled recording: the events of file <paramref name="Path"/> with <paramref name="Start"/> ≤ t &lt;
/// <paramref name="End"/> (µs; the whole file by default), of class <paramref name="Label"/>.
/// </summary>
public sealed record EventSample(string Path, int Label, long Start = 0, long End = long.MaxValue);
