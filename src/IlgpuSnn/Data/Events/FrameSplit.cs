namespace IlgpuSnn.Data.Events;

/// <summary>How a recording is cut into frames (the rules of SpikingJelly's integrate_events_*).</summary>
public enum FrameSplit
{
    /// <summary>
    /// Equal event counts: with N events and M frames, frame j takes events [⌊N/M⌋·j, ⌊N/M⌋·(j+1)), the last frame
    /// runs to N (so all events go to the last frame when N &lt; M).
    /// </summary>
    Count,

    /// <summary>
    /// Equal time: ΔT = ⌊(t_{N−1} − t_0)/M⌋; frame j takes events with t_0 + ΔT·j ≤ t &lt; t_0 + ΔT·(j+1); the last
    /// frame runs to the end.
    /// </summary>
    Time,

    /// <summary>
    /// Fixed duration d µs: frame j takes events with t_0 + d·j ≤ t &lt; t_0 + d·(j+1); events after M·d are dropped.
    /// </summary>
    Duration,
}
