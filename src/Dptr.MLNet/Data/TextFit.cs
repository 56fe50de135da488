namespace Dptr.MLNet.Data;

/// <summary>How rendered text is fitted into the output size.</summary>
public enum TextFit
{
    /// <summary>Keep the text's aspect ratio: scale it to fit inside the output and fill the rest with background.</summary>
    KeepAspect = 0,

    /// <summary>Stretch the text crop to the whole output (what the recognizer's 32×128 resize does anyway).</summary>
    Stretch = 1,
}
