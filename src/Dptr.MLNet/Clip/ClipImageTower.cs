namespace Dptr.MLNet;

/// <summary>Which image tower a CLIP model has (<see cref="ClipVisionConfig.Tower"/>).</summary>
public enum ClipImageTower
{
    /// <summary>
    /// OpenAI/Hugging Face CLIP's vision transformer on square images (patch embedding, class token, pre-LN, blocks,
    /// post-LN). Real CLIP weights always load as this tower; the parameter names are Hugging Face's.
    /// </summary>
    VisionTransformer,

    /// <summary>
    /// Ours, for the small CLIP the demo trains on rendered words (not in the paper): the recognizer's convolutional
    /// stem on 32×W word images (stretched, not letterboxed), one token per 4-pixel column, then a class token, CLIP's
    /// transformer blocks and post-LN. A vision transformer trained from scratch does not learn to see characters within
    /// a CPU budget (docs/results.md); convolutions do. Written to <c>config.json</c> as <c>dptr_image_tower</c>, which
    /// other CLIP loaders do not know.
    /// </summary>
    WordConvolutional,
}
