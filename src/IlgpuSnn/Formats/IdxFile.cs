using System.Buffers.Binary;

namespace IlgpuSnn.Formats;

/// <summary>
/// The contents of one IDX file (the MNIST format): the dimensions (outermost first), the element type code and the
/// raw element bytes in file order (C order; multi-byte types stay big-endian as stored).
/// </summary>
/// <param name="Dimensions">Dimension sizes, outermost first (e.g. [60000, 28, 28]).</param>
/// <param name="ElementType">Type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.</param>
/// <param name="Data">The element bytes exactly as stored after the header.</param>
public sealed record IdxFile(int[] Dimensions, byte ElementType, byte[] Data)
{
    /// <summary>Type code of unsigned bytes (MNIST images and labels).</summary>
    public const byte UInt8 = 0x08;

    /// <summary>Type code of signed bytes.</summary>
    public const byte Int8 = 0x09;

    /// <summary>Type code of big-endian 16-bit integers.</summary>
    public const byte Int16 = 0x0B;

    /// <summary>Type code of big-endian 32-bit integers.</summary>
    public const byte Int32 = 0x0C;

    /// <summary>Type code of big-endian 32-bit floats.</summary>
    public const byte Float32 = 0x0D;

    /// <summary>Type code of big-endian 64-bit floats.</summary>
    public const byte Float64 = 0x0E;

    /// <summary>Number of elements (the product of the dimensions).</summary>
    public long Count
    {
        get
        {
            long n = 1;
            foreach (var d in Dimensions) n = checked(n * d);
            return n;
        }
    }

    /// <summary>Bytes per element of <paramref name="elementType"/>, or 0 for an unknown type code.</summary>
    /// <param name="elementType">The IDX type code (byte 2 of the header, e.g. 0x08 = uint8).</param>
    /// <returns>1, 2, 4 or 8, or 0 when unknown.</returns>
    public static int ElementSize(byte elementType) => elementType switch
    {
        UInt8 or Int8 => 1,
        Int16 => 2,
        Int32 or Float32 => 4,
        Float64 => 8,
        _ => 0,
    };

    /// <summary>A readable name of a type code ("uint8", "float32", ...).</summary>
    /// <param name="elementType">The IDX type code (byte 2 of the header).</param>
    /// <returns>The type name, or "unknown (0xNN)" for an unknown code.</returns>
    public static string TypeName(byte elementType) => elementType switch
    {
        UInt8 => "uint8",
        Int8 => "int8",
        Int16 => "int16",
        Int32 => "int32",
        Float32 => "float32",
        Float64 => "float64",
        _ => $"unknown (0x{elementType:X2})",
    };

    /// <summary>Decodes every element (of any supported type) to a float.</summary>
    /// <returns>A new array of all elements, in file order.</returns>
    public float[] ToSingles()
    {
        var result = new float[Count];
        var bytes = Data.AsSpan();
        switch (ElementType)
        {
            case UInt8:
                for (int i = 0; i < result.Length; i++) result[i] = bytes[i];
                break;
            case Int8:
                for (int i = 0; i < result.Length; i++) result[i] = (sbyte)bytes[i];
                break;
            case Int16:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt16BigEndian(bytes[(2 * i)..]);
                break;
            case Int32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32BigEndian(bytes[(4 * i)..]);
                break;
            case Float32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleBigEndian(bytes[(4 * i)..]);
                break;
            case Float64:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadDoubleBigEndian(bytes[(8 * i)..]);
                break;
            default:
                throw new InvalidDataException($"IDX element type {TypeName(ElementType)} is not supported.");
        }
        return result;
    }
}
