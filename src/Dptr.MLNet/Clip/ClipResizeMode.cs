namespace Dptr.MLNet;

/// <summary>How <see cref="ClipImagePreprocessor"/> fits an image to the model's H×W input.</summary>
public enum ClipResizeMode
{
    /// <summary>CLIP's own preprocessing (spec §2.2): scale so the image covers H×W (bicubic), then centre crop.</summary>
    CenterCrop,

    /// <summary>Scale so the image fits inside H×W (bicubic), centred and padded with the CLIP mean colour (normalises to 0); nothing is cut off.</summary>
    Letterbox,

    /// <summary>Stretch to exactly H×W, ignoring the aspect ratio, as the recognizer resizes word images (PARSeq's convention).</summary>
    Stretch,
}
