namespace Dptr.MLNet.Data;

/// <summary>
/// Options of <see cref="SyntheticTextRenderer"/>, an MJSynth-style word-image generator. Every distortion has a
/// probability and a strength; set either to 0 to turn it off. Defaults give legible, mildly distorted 32×128 images.
/// </summary>
public sealed class SyntheticTextOptions
{
    /// <summary>Output height in pixels (default 32, the recognizer's input height, spec §1 Stage B).</summary>
    public int Height { get; set; } = 32;

    /// <summary>Output width in pixels (default 128, spec §1 Stage B).</summary>
    public int Width { get; set; } = 128;

    /// <summary>How the text is fitted into <see cref="Width"/>×<see cref="Height"/> (default <see cref="TextFit.KeepAspect"/>).</summary>
    public TextFit Fit { get; set; } = TextFit.KeepAspect;

    /// <summary>
    /// With <see cref="TextFit.KeepAspect"/>: probability that a sample is stretched to fill the whole image instead
    /// (what a tightly cropped word looks like after a recognizer's 32×128 resize). Default 0.
    /// </summary>
    public double StretchProbability { get; set; }

    /// <summary>Base seed; sample <c>i</c> uses a seed derived from (<see cref="Seed"/>, i), so output does not depend on thread order (default 0).</summary>
    public int Seed { get; set; }

    /// <summary>Folder of font files (.ttf, .otf, .ttc), searched recursively; <c>null</c> = the system font folders (default).</summary>
    public string? FontDirectory { get; set; }

    /// <summary>
    /// With <see cref="FontDirectory"/> <c>null</c>: also draw with the 24 font faces bundled with the library (Go,
    /// Roboto, Open Sans, Comic Neue, Cantarell, Inconsolata, Noto Mono/Serif, EB Garamond, Computer Modern; sans,
    /// serif, mono and casual designs), beside the system's (default true: a fresh Debian has only DejaVu, and a model
    /// trained on one family reads others badly). Ignored when <see cref="FontDirectory"/> is set: a given folder
    /// means exactly those fonts.
    /// </summary>
    public bool IncludeBundledFonts { get; set; } = true;

    /// <summary>Folder of natural images to crop backgrounds from; <c>null</c> = generated backgrounds only (default).</summary>
    public string? BackgroundDirectory { get; set; }

    /// <summary>Probability of an image-crop background when <see cref="BackgroundDirectory"/> is set (default 0.7); else generated
    /// (flat, gradient, noise or texture).</summary>
    public double BackgroundImageProbability { get; set; } = 0.7;

    /// <summary>Least luminance difference (0..1) between text colour and the mean background behind it (default 0.4).</summary>
    public double MinContrast { get; set; } = 0.4;

    /// <summary>Largest rotation in degrees, either way (default 4).</summary>
    public double MaxRotationDegrees { get; set; } = 4;

    /// <summary>Perspective strength 0..1 (default 0.2): the largest relative foreshortening across the word.</summary>
    public double PerspectiveStrength { get; set; } = 0.2;

    /// <summary>Probability that the baseline is curved (default 0.15).</summary>
    public double CurveProbability { get; set; } = 0.15;

    /// <summary>Curve strength: sag of the baseline as a fraction of the text height (default 0.25).</summary>
    public double CurveStrength { get; set; } = 0.25;

    /// <summary>Probability of a Gaussian blur (default 0.3).</summary>
    public double BlurProbability { get; set; } = 0.3;

    /// <summary>Largest blur sigma in output pixels (default 1.0).</summary>
    public double MaxBlurSigma { get; set; } = 1.0;

    /// <summary>Largest standard deviation of additive pixel noise, on a 0..1 scale (default 0.04).</summary>
    public double NoiseStrength { get; set; } = 0.04;

    /// <summary>Probability of JPEG re-compression artefacts (default 0.3).</summary>
    public double JpegProbability { get; set; } = 0.3;

    /// <summary>Lowest JPEG quality used for artefacts (default 30; the highest is 90).</summary>
    public int MinJpegQuality { get; set; } = 30;

    /// <summary>Probability of an outline (border) around the glyphs (default 0.15).</summary>
    public double BorderProbability { get; set; } = 0.15;

    /// <summary>Probability of a drop shadow (default 0.15).</summary>
    public double ShadowProbability { get; set; } = 0.15;

    /// <summary>
    /// Probability that the strokes are made thicker or thinner (either equally likely), so the recognizer sees more stroke
    /// weights than the installed faces have: thin Courier- or Times-like strokes, heavy poster strokes. Default 0 (off).
    /// </summary>
    public double StrokeWidthProbability { get; set; }

    /// <summary>
    /// Largest change of each stroke edge, as a fraction of the font size, with <see cref="StrokeWidthProbability"/>
    /// (default 0.03, allowed 0..0.1: a regular stem of about 0.09 em becomes 0.03..0.15 em). The change is uniform in
    /// ±this; a thinning that would erase most of the ink is not applied.
    /// </summary>
    public double MaxStrokeWidthChange { get; set; } = 0.03;

    /// <summary>
    /// Narrowest horizontal glyph scale (below 1: condensed faces), drawn uniformly from
    /// [<see cref="MinHorizontalScale"/>, <see cref="MaxHorizontalScale"/>] per sample (default 1, allowed 0.5..2, at
    /// most <see cref="MaxHorizontalScale"/>). Only visible where the text keeps its aspect; a stretched sample is
    /// resized to the frame anyway.
    /// </summary>
    public double MinHorizontalScale { get; set; } = 1;

    /// <summary>Widest horizontal glyph scale (above 1: extended faces; default 1, allowed 0.5..2). See <see cref="MinHorizontalScale"/>.</summary>
    public double MaxHorizontalScale { get; set; } = 1;

    /// <summary>
    /// Largest italic shear in degrees, either way, drawn uniformly per sample (default 0 = off, allowed 0..30): upright
    /// faces slanted like obliques, obliques slanted more or straightened.
    /// </summary>
    public double MaxShearDegrees { get; set; }

    /// <summary>
    /// Largest margin above and below the ink, as a fraction of the ink height, drawn uniformly from 0.04 up to this
    /// for each side (default 0.2, allowed 0.04..2). Larger values make text smaller in the frame, as in crops made on
    /// the font's line box (ascent to descent) or loosely by hand.
    /// </summary>
    public double MaxVerticalMargin { get; set; } = 0.2;

    /// <summary>
    /// Largest margin left and right of the ink, as a fraction of the ink height, drawn uniformly from 0.03 up to this
    /// (default 0.18, allowed 0.03..2).
    /// </summary>
    public double MaxHorizontalMargin { get; set; } = 0.18;

    /// <summary>
    /// Probability that the vertical crop follows the font's line box (ascent to descent, as a text-line crop or a
    /// typesetter's label has it) instead of the ink, so x-height letters keep their place and size in the frame
    /// whether or not the word has ascenders or descenders. Default 0 (always crop at the ink).
    /// </summary>
    public double LineBoxCropProbability { get; set; }

    /// <summary>Probability that the finished image is turned to grey (luminance in all three channels; default 0).</summary>
    public double GrayscaleProbability { get; set; }

    /// <summary>
    /// Probability that the whole finished image (background included) is rotated about its centre within the same
    /// frame, leaving corner wedges of a flat colour (white, black or random), as a photo or rendering rotated and cut
    /// back to its size shows them (default 0). Character centres are not corrected for it (the shift is small).
    /// </summary>
    public double FrameRotationProbability { get; set; }

    /// <summary>Largest frame rotation in degrees, either way, with <see cref="FrameRotationProbability"/> (default 4, allowed 0..15).</summary>
    public double MaxFrameRotationDegrees { get; set; } = 4;

    /// <summary>Lightest font weight used (default 350: hairline, extra-light and light faces give strokes thinner than a
    /// pixel at 32 px and become illegible). Ignored when no loaded font is this heavy.</summary>
    public int MinFontWeight { get; set; } = 350;

    /// <summary>Encoding of the batch helpers' output: 0 = PNG (default, lossless), 1..100 = JPEG at that quality
    /// (about 4× smaller files; MJSynth ships JPEG).</summary>
    public int OutputJpegQuality { get; set; }

    /// <summary>What to do with a font file that cannot be loaded (default <see cref="BadRowAction.Throw"/>; Skip counts it).</summary>
    public BadRowAction OnBadFont { get; set; } = BadRowAction.Throw;

    /// <summary>Threads used by the batch helpers (default: all cores).</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    internal void Validate()
    {
        if (Height < 8 || Width < 8 || Height > 1024 || Width > 4096)
            throw new ArgumentOutOfRangeException(nameof(Height), $"Output size {Width}x{Height} must be within 8..4096 x 8..1024.");
        foreach (var (name, p) in new[] { (nameof(BackgroundImageProbability), BackgroundImageProbability), (nameof(CurveProbability), CurveProbability),
                     (nameof(BlurProbability), BlurProbability), (nameof(JpegProbability), JpegProbability), (nameof(BorderProbability), BorderProbability),
                     (nameof(ShadowProbability), ShadowProbability), (nameof(StretchProbability), StretchProbability), (nameof(LineBoxCropProbability), LineBoxCropProbability), (nameof(GrayscaleProbability), GrayscaleProbability), (nameof(FrameRotationProbability), FrameRotationProbability), (nameof(MinContrast), MinContrast), (nameof(PerspectiveStrength), PerspectiveStrength) })
            if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(name, p, $"{name} must be in [0, 1].");
        if (MinJpegQuality is < 1 or > 90) throw new ArgumentOutOfRangeException(nameof(MinJpegQuality), MinJpegQuality, "MinJpegQuality must be in 1..90.");
        if (OutputJpegQuality is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(OutputJpegQuality), OutputJpegQuality, "OutputJpegQuality must be 0 (PNG) or 1..100.");
        if (StrokeWidthProbability is < 0 or > 1 || double.IsNaN(StrokeWidthProbability))
            throw new ArgumentOutOfRangeException(nameof(StrokeWidthProbability), StrokeWidthProbability, "StrokeWidthProbability must be in [0, 1].");
        if (MaxStrokeWidthChange is < 0 or > 0.1 || double.IsNaN(MaxStrokeWidthChange))
            throw new ArgumentOutOfRangeException(nameof(MaxStrokeWidthChange), MaxStrokeWidthChange, "MaxStrokeWidthChange must be in [0, 0.1] (a fraction of the font size).");
        if (MinHorizontalScale is < 0.5 or > 2 || double.IsNaN(MinHorizontalScale))
            throw new ArgumentOutOfRangeException(nameof(MinHorizontalScale), MinHorizontalScale, "MinHorizontalScale must be in [0.5, 2].");
        if (MaxHorizontalScale is < 0.5 or > 2 || double.IsNaN(MaxHorizontalScale))
            throw new ArgumentOutOfRangeException(nameof(MaxHorizontalScale), MaxHorizontalScale, "MaxHorizontalScale must be in [0.5, 2].");
        if (MinHorizontalScale > MaxHorizontalScale)
            throw new ArgumentOutOfRangeException(nameof(MinHorizontalScale), MinHorizontalScale, $"MinHorizontalScale must be at most MaxHorizontalScale ({MaxHorizontalScale}).");
        if (MaxShearDegrees is < 0 or > 30 || double.IsNaN(MaxShearDegrees))
            throw new ArgumentOutOfRangeException(nameof(MaxShearDegrees), MaxShearDegrees, "MaxShearDegrees must be in [0, 30].");
        if (MaxVerticalMargin is < 0.04 or > 2 || double.IsNaN(MaxVerticalMargin))
            throw new ArgumentOutOfRangeException(nameof(MaxVerticalMargin), MaxVerticalMargin, "MaxVerticalMargin must be in [0.04, 2] (a fraction of the ink height).");
        if (MaxHorizontalMargin is < 0.03 or > 2 || double.IsNaN(MaxHorizontalMargin))
            throw new ArgumentOutOfRangeException(nameof(MaxHorizontalMargin), MaxHorizontalMargin, "MaxHorizontalMargin must be in [0.03, 2] (a fraction of the ink height).");
        if (MaxFrameRotationDegrees is < 0 or > 15 || double.IsNaN(MaxFrameRotationDegrees))
            throw new ArgumentOutOfRangeException(nameof(MaxFrameRotationDegrees), MaxFrameRotationDegrees, "MaxFrameRotationDegrees must be in [0, 15].");
        if (MaxDegreeOfParallelism < 1) throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), "must be at least 1.");
    }
}
