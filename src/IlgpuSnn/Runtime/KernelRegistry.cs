using System.Reflection;

namespace IlgpuSnn.Runtime;

/// <summary>
/// Every kernel the library can load: the static methods marked with <see cref="KernelAttribute"/>. A generic kernel
/// (over neuron or surrogate structs) is listed as closed instantiations over the library's own structs that satisfy
/// its constraints: every such struct appears in at least one instantiation, the other type arguments at their first
/// candidate, so each built-in neuron and surrogate is compiled for every backend.
/// </summary>
internal static class KernelRegistry
{
    private static readonly Lazy<IReadOnlyList<MethodInfo>> Methods = new(() =>
        typeof(KernelRegistry).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<KernelAttribute>() is not null)
            .SelectMany(Instantiations)
            .OrderBy(m => m.DeclaringType!.FullName, StringComparer.Ordinal)
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .ThenBy(m => string.Join(",", m.GetGenericArguments().Select(a => a.Name)), StringComparer.Ordinal)
            .ToList());

    /// <summary>All kernel methods (generic ones closed), sorted by type, name and type arguments.</summary>
    public static IReadOnlyList<MethodInfo> All => Methods.Value;

    private static IEnumerable<MethodInfo> Instantiations(MethodInfo method)
    {
        if (!method.IsGenericMethodDefinition) return [method];
        var parameters = method.GetGenericArguments();
        var candidates = parameters.Select(Candidates).ToArray();
        var result = new List<MethodInfo>();
        for (int p = 0; p < parameters.Length; p++)
            foreach (var type in candidates[p])
            {
                var arguments = candidates.Select((c, q) => q == p ? type : c[0]).ToArray();
                var closed = method.MakeGenericMethod(arguments);
                if (!result.Contains(closed)) result.Add(closed);
            }
        return result;
    }

    private static Type[] Candidates(Type parameter)
    {
        var constraints = parameter.GetGenericParameterConstraints();
        var types = typeof(KernelRegistry).Assembly.GetTypes()
            .Where(t => t.IsValueType && !t.IsGenericTypeDefinition && constraints.All(c => c.IsAssignableFrom(t)) && constraints.Length > 0)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToArray();
        return types.Length > 0 ? types : throw new InvalidOperationException(
            $"KernelRegistry: no struct in the library satisfies the constraints of type parameter {parameter.Name} of {parameter.DeclaringMethod?.Name}.");
    }
}
