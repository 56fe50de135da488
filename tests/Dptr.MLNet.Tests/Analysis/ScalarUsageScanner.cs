using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Dptr.MLNet.Tests.Analysis;

/// <summary>
/// An IL scan for TorchSharp 0.107's Scalar race. A <c>TorchSharp.Scalar</c> is a finalizable wrapper of a native
/// scalar; a temporary one (an implicit conversion passed straight into a native call) can be finalized while the
/// native op still reads it. The rule: only <c>Dptr.MLNet.Modeling.TensorMath</c> creates Scalars (and keeps them
/// alive); nothing else creates one, calls a TorchSharp method that creates one as a temporary (e.g. <c>a + b</c>'s
/// implicit alpha, <c>t * 2.0</c>), or uses a TorchSharp optimizer (their <c>step()</c> does).
/// </summary>
internal sealed class ScalarUsageScanner
{
    private const string AllowedType = "Dptr.MLNet.Modeling.TensorMath";
    private const int MaxDepth = 6;
    private readonly Dictionary<string, string?> _torchVerdicts = new();

    /// <summary>Scans the assemblies; returns one line per violation, "Type::Method: what".</summary>
    public IReadOnlyList<string> Scan(params string[] assemblyPaths)
    {
        var violations = new List<string>();
        foreach (var path in assemblyPaths)
        {
            var resolver = new DefaultAssemblyResolver();
            resolver.AddSearchDirectory(Path.GetDirectoryName(path)!);
            using var assembly = AssemblyDefinition.ReadAssembly(path, new ReaderParameters { AssemblyResolver = resolver });
            foreach (var type in assembly.MainModule.GetTypes())
            {
                var allowed = IsAllowed(type);
                foreach (var method in type.Methods.Where(m => m.HasBody))
                    foreach (var finding in ScanOwnMethod(method, allowed))
                        violations.Add($"{type.FullName}::{method.Name}: {finding}");
            }
        }
        return violations.Distinct().ToList();
    }

    /// <summary>Number of methods with a body the last scans looked at (guards against a vacuous pass).</summary>
    public int MethodsScanned { get; private set; }

    private static bool IsAllowed(TypeDefinition type)
    {
        for (var t = type; t is not null; t = t.DeclaringType)
            if (t.FullName == AllowedType)
                return true;
        return false;
    }

    // TensorMath may create Scalars (it keeps them alive), but what it calls must not create temporaries either.
    private IEnumerable<string> ScanOwnMethod(MethodDefinition method, bool mayCreate)
    {
        MethodsScanned++;
        foreach (var instruction in method.Body.Instructions)
        {
            if (instruction.Operand is TypeReference typeRef && IsTorchOptimizer(typeRef))
                yield return $"uses TorchSharp optimizer {typeRef.FullName}";
            if (instruction.Operand is MethodReference factory && IsTorchSharp(factory.DeclaringType) && IsTorchBatchNorm(factory.ReturnType))
                yield return $"uses TorchSharp {factory.ReturnType.Name} (its forward counts batches with an implicit Scalar); use ChannelBatchNorm";
            if (instruction.Operand is not MethodReference called)
                continue;
            if (CreatesScalar(called))
            {
                if (mayCreate)
                    continue;
                yield return $"creates a Scalar ({called.DeclaringType.Name}::{called.Name}); use TensorMath";
                continue;
            }
            if (!IsTorchSharp(called.DeclaringType))
                continue;
            if (IsTorchOptimizer(called.DeclaringType) || IsTorchOptimizer(called.ReturnType))
            {
                yield return $"uses TorchSharp optimizer ({called.DeclaringType.Name}::{called.Name})";
                continue;
            }
            var verdict = TorchVerdict(called, 0);
            if (verdict is not null)
                yield return $"calls {called.DeclaringType.Name}::{called.Name}({string.Join(", ", called.Parameters.Select(p => p.ParameterType.Name))}) which {verdict}";
            // A TorchSharp module made here runs later behind virtual calls (Sequential, Module.call) the scan cannot
            // follow: check its forward methods where it is created.
            var made = called.Name == ".ctor" ? called.DeclaringType : called.ReturnType;
            foreach (var forward in ForwardMethods(made))
            {
                var inner = TorchVerdict(forward, 0);
                if (inner is not null)
                    yield return $"creates a TorchSharp {made.Name} whose {forward.DeclaringType.Name}::forward {inner}";
            }
        }
    }

    private static IEnumerable<MethodDefinition> ForwardMethods(TypeReference type)
    {
        if (!IsTorchSharp(type)) yield break;
        TypeDefinition? definition = null;
        try { definition = type.Resolve(); } catch (AssemblyResolutionException) { }
        for (var t = definition; t is not null && IsTorchSharp(t); )
        {
            foreach (var m in t.Methods.Where(m => m.Name == "forward" && m.HasBody))
                yield return m;
            try { t = t.BaseType?.Resolve(); } catch (AssemblyResolutionException) { t = null; }
        }
    }

    private static bool IsTorchSharp(TypeReference type) => type.Scope?.Name is "TorchSharp" or "TorchSharp.dll";

    private static bool IsTorchBatchNorm(TypeReference type) =>
        IsTorchSharp(type) && type.Namespace == "TorchSharp.Modules" && type.Name.StartsWith("BatchNorm", StringComparison.Ordinal);

    private static bool IsTorchOptimizer(TypeReference type)
    {
        if (!IsTorchSharp(type)) return false;
        try
        {
            for (var t = type.Resolve(); t is not null; t = t.BaseType?.Resolve())
                if (t.Name is "Optimizer" or "OptimizerHelper" && t.Namespace is "TorchSharp" or "TorchSharp.Modules")
                    return true;
        }
        catch (AssemblyResolutionException) { }
        return false;
    }

    private static bool CreatesScalar(MethodReference called)
    {
        var declaring = called.DeclaringType.FullName;
        if (declaring == "TorchSharp.Scalar" && (called.Name == "op_Implicit" || called.Name == ".ctor"))
            return true;
        return called.Name == "ToScalar" && called.ReturnType.FullName == "TorchSharp.Scalar";
    }

    /// <summary>Null when the TorchSharp method (and what it calls, a few levels deep) creates no temporary Scalar.</summary>
    private string? TorchVerdict(MethodReference called, int depth)
    {
        var key = called.FullName;
        if (_torchVerdicts.TryGetValue(key, out var known))
            return known;
        _torchVerdicts[key] = null; // cycle guard
        string? verdict = null;
        MethodDefinition? definition = null;
        try { definition = called.Resolve(); } catch (AssemblyResolutionException) { }
        if (definition is { HasBody: true } && depth < MaxDepth)
        {
            var instructions = definition.Body.Instructions;
            var disposesScalars = instructions.Any(i => i.Operand is MethodReference m && m.Name == "Dispose"
                && m.DeclaringType.FullName is "TorchSharp.Scalar" or "System.IDisposable");
            foreach (var instruction in instructions)
            {
                if (instruction.Operand is not MethodReference inner)
                    continue;
                if (CreatesScalar(inner))
                {
                    // `using var s = x.ToScalar()` (stored, then disposed) keeps it alive; a value passed on the stack does not.
                    var stored = instruction.Next?.OpCode.Code is Code.Stloc or Code.Stloc_S or Code.Stloc_0 or Code.Stloc_1 or Code.Stloc_2 or Code.Stloc_3;
                    if (!(stored && disposesScalars))
                    {
                        verdict = "creates a temporary Scalar";
                        break;
                    }
                    continue;
                }
                if (IsTorchSharp(inner.DeclaringType) && inner.DeclaringType.FullName != "TorchSharp.Scalar")
                {
                    var innerVerdict = TorchVerdict(inner, depth + 1);
                    if (innerVerdict is not null)
                    {
                        verdict = innerVerdict.Contains(" (in ") ? innerVerdict : $"{innerVerdict} (in {inner.DeclaringType.Name}::{inner.Name})";
                        break;
                    }
                }
            }
        }
        _torchVerdicts[key] = verdict;
        return verdict;
    }
}
