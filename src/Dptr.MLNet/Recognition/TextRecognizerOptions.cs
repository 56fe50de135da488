namespace Dptr.MLNet;

/// <summary>Settings of <see cref="TextRecognizer.Load(string, TextRecognizerOptions?)"/>.</summary>
public sealed class TextRecognizerOptions
{
    /// <summary>
    /// CUDA device to run on (as <c>MLContext.GpuDeviceId</c>); null (the default) runs on the CPU. CUDA needs the
    /// application to reference <c>TorchSharp-cuda-linux</c> instead of <c>TorchSharp-cpu</c>.
    /// </summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>When <see cref="GpuDeviceId"/> is set but CUDA is unavailable: true runs on the CPU, false (default) throws.</summary>
    public bool FallbackToCpu { get; set; }

    /// <summary>Images per network call in <see cref="TextRecognizer.RecognizeBatch(IEnumerable{string})"/> (default 32, as the transformer).</summary>
    public int BatchSize { get; set; } = 32;
}
