using System.Reflection;
using System.Reflection.Emit;

namespace IlgpuSnn.Tests.Architecture;

/// <summary>
/// Every type a type uses: its signature (base type, interfaces, fields, method parameters and returns, locals) and the
/// types and members its method bodies name (IL operand tokens of calls, field accesses, casts, allocations).
/// </summary>
internal static class DependencyScanner
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
        BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The types <paramref name="type"/> uses (generic arguments and element types unfolded).</summary>
    public static IReadOnlySet<Type> ReferencedTypes(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || t.IsGenericParameter) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                foreach (var a in t.GetGenericArguments()) Add(a);
                t = t.GetGenericTypeDefinition();
            }
            found.Add(t);
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(Declared)) Add(f.FieldType);
        foreach (var m in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            var body = m.GetMethodBody();
            if (body is null) continue;
            foreach (var local in body.LocalVariables) Add(local.LocalType);
            foreach (var member in BodyMembers(m, body.GetILAsByteArray() ?? []))
            {
                switch (member)
                {
                    case Type t:
                        Add(t);
                        break;
                    case MethodInfo called:
                        Add(called.DeclaringType);
                        Add(called.ReturnType);
                        if (called.IsGenericMethod) foreach (var a in called.GetGenericArguments()) Add(a);
                        break;
                    default:
                        Add(member.DeclaringType);
                        break;
                }
            }
        }
        return found;
    }

    /// <summary>The methods and constructors the method bodies of <paramref name="type"/> call or name.</summary>
    public static IReadOnlySet<MethodBase> CalledMethods(Type type)
    {
        var found = new HashSet<MethodBase>();
        foreach (var m in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            var body = m.GetMethodBody();
            if (body is null) continue;
            foreach (var member in BodyMembers(m, body.GetILAsByteArray() ?? []))
                if (member is MethodBase called) found.Add(called);
        }
        return found;
    }

    private static IEnumerable<MemberInfo> BodyMembers(MethodBase method, byte[] il)
    {
        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[i + 1]) : il[i];
            if (!OpCodesByValue.TryGetValue(value, out var op))
                throw new InvalidOperationException($"{method.DeclaringType}.{method.Name}: unknown IL opcode 0x{value:X} at {i}.");
            i += op.Size;
            int token = op.OperandType is OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType
                ? BitConverter.ToInt32(il, i) : 0;
            i += OperandSize(op.OperandType, il, i);
            if (token == 0) continue;
            MemberInfo? member;
            try
            {
                member = method.Module.ResolveMember(token, typeArguments, methodArguments);
            }
            catch (ArgumentException)
            {
                member = null;
            }
            if (member is not null) yield return member;
        }
    }

    private static int OperandSize(OperandType type, byte[] il, int at) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
