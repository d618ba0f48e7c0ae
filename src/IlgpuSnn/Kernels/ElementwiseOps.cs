namespace IlgpuSnn.Kernels;

/// <summary>Binary element-wise operations, passed to kernels as an integer code.</summary>
internal enum BinaryOp
{
    /// <summary>a + b</summary>
    Add = 0,
    /// <summary>a - b</summary>
    Subtract = 1,
    /// <summary>a * b</summary>
    Multiply = 2,
    /// <summary>a / b</summary>
    Divide = 3,
    /// <summary>max(a, b)</summary>
    Maximum = 4,
    /// <summary>min(a, b)</summary>
    Minimum = 5,
    /// <summary>1 if a &gt;= b, else 0</summary>
    GreaterOrEqual = 6,
    /// <summary>1 if a &lt;= b, else 0</summary>
    LessOrEqual = 7,
}

/// <summary>Unary element-wise operations with one scalar parameter p, passed to kernels as an integer code.</summary>
internal enum UnaryOp
{
    /// <summary>p * x</summary>
    Scale = 0,
    /// <summary>x + p</summary>
    AddScalar = 1,
    /// <summary>exp(x)</summary>
    Exp = 2,
    /// <summary>log(x)</summary>
    Log = 3,
    /// <summary>max(x, 0)</summary>
    Relu = 4,
    /// <summary>1 / (1 + exp(-x))</summary>
    Sigmoid = 5,
    /// <summary>tanh(x)</summary>
    Tanh = 6,
    /// <summary>|x|</summary>
    Abs = 7,
    /// <summary>x * x</summary>
    Square = 8,
    /// <summary>sqrt(x)</summary>
    Sqrt = 9,
    /// <summary>x ^ p</summary>
    Pow = 10,
}
