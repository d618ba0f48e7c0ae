using System.Reflection;

namespace IlgpuSnn.Runtime;

/// <summary>Every kernel the library can load: the static methods marked with <see cref="KernelAttribute"/>.</summary>
internal static class KernelRegistry
{
    private static readonly Lazy<IReadOnlyList<MethodInfo>> Methods = new(() =>
        typeof(KernelRegistry).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<KernelAttribute>() is not null)
            .OrderBy(m => m.DeclaringType!.FullName, StringComparer.Ordinal)
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .ToList());

    /// <summary>All kernel methods, sorted by type and name.</summary>
    public static IReadOnlyList<MethodInfo> All => Methods.Value;
}
