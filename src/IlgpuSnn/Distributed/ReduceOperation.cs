namespace IlgpuSnn.Distributed;

/// <summary>How an all-reduce combines the ranks' values.</summary>
public enum ReduceOperation
{
    /// <summary>The sum over ranks.</summary>
    Sum,

    /// <summary>The sum over ranks divided by the number of ranks.</summary>
    Average,
}
