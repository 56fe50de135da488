using Dptr.MLNet.Clip;

namespace Dptr.MLNet;

/// <summary>Options of <c>mlContext.Transforms.ClipTextEmbedding</c>.</summary>
public sealed class ClipTextEmbeddingOptions
{
    /// <summary>
    /// Prompt wrapped around each label; <c>{0}</c> is the label. Default <c>a photo of a '{0}'</c>, DPTR's prompt
    /// (spec §1, Figure-2 caption of the paper).
    /// </summary>
    public string PromptTemplate { get; set; } = ClipTokenizer.DefaultPromptTemplate;

    /// <summary>Labels encoded per CLIP call. Default 64.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Reuse the memories of prompts already encoded. Default <see cref="TextMemoryCacheMode.Memory"/>.</summary>
    public TextMemoryCacheMode Cache { get; set; } = TextMemoryCacheMode.Memory;

    /// <summary>Folder of the on-disk cache when <see cref="Cache"/> is <see cref="TextMemoryCacheMode.Disk"/>. Default none.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// Cut prompts longer than CLIP's 77-token context (keeping the end token) instead of failing. Default false:
    /// an over-long prompt is an error naming the row (the reference code raises too, spec §5.3).
    /// </summary>
    public bool TruncatePrompts { get; set; }
}
