namespace Dptr.MLNet;

/// <summary>
/// Training-time image augmentation settings for text-line images (applied on the batch tensor, never at evaluation:
/// spec §6.2 notes OpenOCR's eval config augments by mistake).
/// </summary>
/// <remarks>
/// Each operation is applied to a sample independently with its own probability, with a strength drawn uniformly
/// between "none" and the configured maximum. Order: rotation and perspective (one combined warp), colour jitter,
/// Gaussian blur, Gaussian noise. Strengths are in 0..1 pixel units (the input range is converted internally).
/// The defaults are mild, roughly matching the magnitudes PARSeq's RandAugment-style policy reaches.
/// </remarks>
public sealed class ImageAugmentationOptions
{
    /// <summary>Probability of rotating a sample. Default 0.3.</summary>
    public double RotationProbability { get; set; } = 0.3;

    /// <summary>Largest rotation angle in degrees (the angle is uniform in ±this). Default 5.</summary>
    public double MaxRotationDegrees { get; set; } = 5;

    /// <summary>Probability of a random perspective warp. Default 0.3.</summary>
    public double PerspectiveProbability { get; set; } = 0.3;

    /// <summary>
    /// Largest displacement of each image corner, in both directions, as a fraction of the image height (also
    /// horizontally, so a wide text line is warped as much as a square one). The content shrinks into a random
    /// quadrilateral and the edge pixels fill the margin, so no character is cropped. Default 0.15.
    /// </summary>
    public double PerspectiveStrength { get; set; } = 0.15;

    /// <summary>Probability of a Gaussian blur. Default 0.2.</summary>
    public double BlurProbability { get; set; } = 0.2;

    /// <summary>Largest blur sigma in pixels (sigma is uniform in 0..this). Default 1.0.</summary>
    public double MaxBlurSigma { get; set; } = 1.0;

    /// <summary>Probability of adding Gaussian noise. Default 0.2.</summary>
    public double NoiseProbability { get; set; } = 0.2;

    /// <summary>Largest noise standard deviation, in 0..1 pixel units (std is uniform in 0..this). Default 0.05.</summary>
    public double MaxNoiseStd { get; set; } = 0.05;

    /// <summary>Probability of a colour jitter (brightness, contrast and saturation together). Default 0.3.</summary>
    public double ColorJitterProbability { get; set; } = 0.3;

    /// <summary>Brightness factor range: the image is multiplied by a factor uniform in [1 − this, 1 + this]. Default 0.3.</summary>
    public double Brightness { get; set; } = 0.3;

    /// <summary>Contrast factor range: pixels move away from / towards the mean grey level by a factor in [1 − this, 1 + this]. Default 0.3.</summary>
    public double Contrast { get; set; } = 0.3;

    /// <summary>Saturation factor range: pixels move away from / towards their own grey value by a factor in [1 − this, 1 + this]. Default 0.3.</summary>
    public double Saturation { get; set; } = 0.3;

    /// <summary>Settings with every probability 0: augmentation is the identity.</summary>
    /// <returns>A new options object that disables every operation.</returns>
    public static ImageAugmentationOptions None() => new()
    {
        RotationProbability = 0,
        PerspectiveProbability = 0,
        BlurProbability = 0,
        NoiseProbability = 0,
        ColorJitterProbability = 0,
    };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        static void Probability(double value, string name)
        {
            if (!(value >= 0 && value <= 1))
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be a probability in [0, 1].");
            }
        }

        static void NonNegative(double value, string name, double max = double.MaxValue)
        {
            if (!(value >= 0 && value <= max))
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, {max}].");
            }
        }

        Probability(RotationProbability, nameof(RotationProbability));
        Probability(PerspectiveProbability, nameof(PerspectiveProbability));
        Probability(BlurProbability, nameof(BlurProbability));
        Probability(NoiseProbability, nameof(NoiseProbability));
        Probability(ColorJitterProbability, nameof(ColorJitterProbability));
        NonNegative(MaxRotationDegrees, nameof(MaxRotationDegrees), 180);
        NonNegative(PerspectiveStrength, nameof(PerspectiveStrength), 0.45);
        NonNegative(MaxBlurSigma, nameof(MaxBlurSigma), 10);
        NonNegative(MaxNoiseStd, nameof(MaxNoiseStd), 1);
        NonNegative(Brightness, nameof(Brightness), 1);
        NonNegative(Contrast, nameof(Contrast), 1);
        NonNegative(Saturation, nameof(Saturation), 1);
    }
}
