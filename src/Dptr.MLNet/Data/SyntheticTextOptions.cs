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
                     (nameof(ShadowProbability), ShadowProbability), (nameof(StretchProbability), StretchProbability), (nameof(MinContrast), MinContrast), (nameof(PerspectiveStrength), PerspectiveStrength) })
            if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(name, p, $"{name} must be in [0, 1].");
        if (MinJpegQuality is < 1 or > 90) throw new ArgumentOutOfRangeException(nameof(MinJpegQuality), MinJpegQuality, "MinJpegQuality must be in 1..90.");
        if (OutputJpegQuality is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(OutputJpegQuality), OutputJpegQuality, "OutputJpegQuality must be 0 (PNG) or 1..100.");
        if (MaxDegreeOfParallelism < 1) throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), "must be at least 1.");
    }
}
