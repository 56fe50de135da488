namespace Dptr.MLNet;

/// <summary>How <see cref="ClipImagePreprocessor"/> makes an image square.</summary>
public enum ClipResizeMode
{
    /// <summary>CLIP's own preprocessing (spec §2.2): shorter side to S (bicubic), then center crop S×S.</summary>
    CenterCrop,

    /// <summary>Longer side to S (bicubic), centred on an S×S canvas padded with the CLIP mean colour (normalises to 0); nothing is cut off (word images).</summary>
    Letterbox,
}
