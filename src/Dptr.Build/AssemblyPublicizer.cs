using Mono.Cecil;

namespace Dptr.Build;

/// <summary>
/// Writes a copy of an assembly in which every type, method and field is public. The library compiles
/// against such copies of Microsoft.ML.Core/Data (model persistence is internal in ML.NET 5) and, with
/// <c>IgnoresAccessChecksTo</c>, runs against the real assemblies.
/// </summary>
internal static class AssemblyPublicizer
{
    public static void Publicize(string input, string output)
    {
        if (!File.Exists(input)) throw new FileNotFoundException($"assembly to publicize not found: {input}");
        if (File.Exists(output) && File.GetLastWriteTimeUtc(output) >= File.GetLastWriteTimeUtc(input)) return;

        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);
        using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
        foreach (var type in assembly.MainModule.GetTypes()) PublicizeType(type);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        string temp = output + ".tmp";
        assembly.Write(temp);
        File.Move(temp, output, overwrite: true);
    }

    private static void PublicizeType(TypeDefinition type)
    {
        if (type.IsNested) type.IsNestedPublic = true;
        else type.IsPublic = true;

        // Event backing fields share the event's name: leaving them private avoids ambiguous lookups.
        var eventNames = new HashSet<string>(type.Events.Select(e => e.Name));
        foreach (var method in type.Methods)
        {
            if (!method.IsPublic) method.IsPublic = true;
        }
        foreach (var field in type.Fields)
        {
            if (field.IsPublic || eventNames.Contains(field.Name) || field.Name.Contains('<')) continue;
            field.IsPublic = true;
        }
    }
}
