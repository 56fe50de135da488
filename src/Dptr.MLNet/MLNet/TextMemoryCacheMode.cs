namespace Dptr.MLNet;

/// <summary>Where <see cref="ClipTextEmbeddingTransformer"/> keeps the memories of prompts it has encoded.</summary>
public enum TextMemoryCacheMode
{
    /// <summary>Encode every row every time.</summary>
    None,

    /// <summary>Keep each distinct prompt's memory in process memory (exact float32 copies).</summary>
    Memory,

    /// <summary>Also persist them under <see cref="ClipTextEmbeddingOptions.CacheDirectory"/>, keyed by model fingerprint and prompt.</summary>
    Disk,
}
