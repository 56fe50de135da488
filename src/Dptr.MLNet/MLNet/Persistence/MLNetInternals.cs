using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Dptr.MLNet.MLNet.Persistence;

/// <summary>
/// The one gateway to ML.NET internals besides model persistence: the environment behind a catalog, schema
/// shapes, the context's device settings and its progress channels. ML.NET 5 keeps these internal; the library
/// compiles against publicized copies (Directory.Build.targets, build step B).
/// </summary>
internal static class MLNetInternals
{
    /// <summary>The host environment (the <see cref="MLContext"/>) behind any ML.NET catalog.</summary>
    public static IHostEnvironment GetEnvironment(object catalog) => catalog switch
    {
        IInternalCatalog c => c.Environment,
        MLContext ml => ml,
        IHostEnvironment env => env,
        _ => throw new ArgumentException($"cannot find the ML.NET environment behind a {catalog.GetType().Name}", nameof(catalog)),
    };

    /// <summary>A scalar or known-size vector column shape (SchemaShape.Column's constructor is internal).</summary>
    public static SchemaShape.Column MakeColumn(string name, DataViewType type)
    {
        SchemaShape.GetColumnTypeShape(type, out var kind, out var itemType, out bool isKey);
        return new SchemaShape.Column(name, kind, itemType, isKey);
    }

    /// <summary>Seed of the context (MLContext(seed: ...)), or null when none was given.</summary>
    public static int? GetSeed(IHostEnvironment env) => (env as IHostEnvironmentInternal)?.Seed;

    /// <summary>
    /// The torch device chosen by the context: <c>MLContext.GpuDeviceId</c> selects CUDA device N; when CUDA is
    /// unavailable (CPU backend), <c>MLContext.FallbackToCpu</c> decides between CPU and a clear error.
    /// </summary>
    public static torch.Device GetDevice(IHostEnvironment env)
    {
        var internalEnv = env as IHostEnvironmentInternal;
        int? gpu = internalEnv?.GpuDeviceId;
        if (gpu is null) return torch.CPU;
        if (torch.cuda.is_available()) return new torch.Device(DeviceType.CUDA, gpu.Value);
        if (internalEnv!.FallbackToCpu) return torch.CPU;
        throw new InvalidOperationException(
            $"MLContext.GpuDeviceId is {gpu} but CUDA is not available: build with -p:TorchBackend=cuda (TorchSharp-cuda-linux) " +
            "on a machine with an NVIDIA driver, or set MLContext.FallbackToCpu = true.");
    }

    /// <summary>Registers a named host (for channels and exceptions).</summary>
    public static IHost Register(IHostEnvironment env, string name) => env.Register(name);
}
