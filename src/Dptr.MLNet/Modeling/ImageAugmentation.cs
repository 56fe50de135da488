using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet.Modeling;

/// <summary>
/// Seeded training-time augmentation of a batch of text-line images <c>[B, 3, H, W]</c> (float32), on the batch's device.
/// </summary>
/// <remarks>
/// <para>Per sample, independently: a geometric warp (small rotation and/or a random perspective, combined into one
/// homography and applied with <c>grid_sample</c>, border padding), colour jitter (brightness, contrast, saturation),
/// Gaussian blur (separable depth-wise convolution, one kernel per sample) and Gaussian noise. Random parameters are
/// drawn on the host from <see cref="Random"/> seeded in the constructor; the noise comes from a <see cref="torch.Generator"/>
/// seeded from that same stream, so a given seed and call sequence always give the same output.</para>
/// <para>How this differs from PARSeq (spec §6.2, <c>PARSeqAugPIL</c>): PARSeq applies RandAugment-style PIL operations
/// (N random ops out of a list incl. rotate, shear, translate, posterize, solarize, equalize, sharpness, colour,
/// plus blur/noise extras) to each decoded image before resizing, and picks ops uniformly. Here a fixed list of
/// tensor ops runs on the already resized batch, each with its own probability and strength, so it runs on the GPU and
/// inside the training step. Histogram ops (equalize, posterize, solarize) are not reproduced.</para>
/// <para>Samples that draw no operation are returned bit-for-bit unchanged. Not thread-safe (one instance per trainer).</para>
/// </remarks>
internal sealed class ImageAugmentation
{
    private readonly ImageAugmentationOptions _options;
    private readonly Random _random;

    /// <param name="options">Probabilities and strengths; validated here.</param>
    /// <param name="seed">Seed of the host random stream.</param>
    /// <param name="normalizedInput">
    /// <see langword="true"/> when pixels are normalised as the recognizer expects, <c>(x/255 − 0.5)/0.5</c> in [−1, 1];
    /// <see langword="false"/> when they are in [0, 1]. The output uses the same range and is clamped to it.
    /// </param>
    public ImageAugmentation(ImageAugmentationOptions options, int seed, bool normalizedInput)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _random = new Random(seed);
        NormalizedInput = normalizedInput;
    }

    /// <summary>Whether inputs and outputs are in [−1, 1] (else [0, 1]).</summary>
    public bool NormalizedInput { get; }

    /// <summary>
    /// Augments <paramref name="images"/> when <paramref name="training"/> is true. The result is a new tensor handle
    /// in the caller's dispose scope (an alias of the input when nothing was applied or when not training); the input is
    /// not modified.
    /// </summary>
    public Tensor Apply(Tensor images, bool training)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != 3)
        {
            throw new ArgumentException(
                $"Expected an image batch of shape [B, 3, H, W]; got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        if (images.dtype != ScalarType.Float32)
        {
            throw new ArgumentException($"Expected float32 images; got {images.dtype}.", nameof(images));
        }

        if (!training)
        {
            return images.alias();
        }

        int batch = (int)images.shape[0];
        int height = (int)images.shape[2];
        int width = (int)images.shape[3];
        var p = SampleParameters(batch, height, width);
        if (!p.AnyTouched)
        {
            return images.alias();
        }

        using var scope = NewDisposeScope();
        var device = images.device;
        var x = NormalizedInput ? images.Times(0.5).Plus(0.5) : images.clone();

        if (p.Warp.Any(w => w))
        {
            x = Select(p.Warp, Warp(x, p.Homographies, height, width), x);
        }

        if (p.Jitter.Any(j => j))
        {
            x = Select(p.Jitter, ColorJitter(x, p.BrightnessFactors, p.ContrastFactors, p.SaturationFactors), x);
        }

        if (p.BlurSigmas.Any(s => s > 0))
        {
            x = Blur(x, p.BlurSigmas);
        }

        if (p.NoiseStds.Any(s => s > 0))
        {
            using var generator = new Generator((ulong)p.NoiseSeed);
            var noise = randn(new long[] { batch, 3, height, width }, generator: generator).to(device);
            x = x.Plus(noise.mul(Column(p.NoiseStds, device)));
        }

        x = x.Clamp(0.0, 1.0);
        if (NormalizedInput)
        {
            x = x.Minus(0.5).DividedBy(0.5);
        }

        // Untouched samples keep their exact input values (no round-off from the range conversion).
        var result = Select(p.Touched, x, images);
        return result.MoveToOuterDisposeScope();
    }

    private Parameters SampleParameters(int batch, int height, int width)
    {
        var o = _options;
        var p = new Parameters(batch);
        for (int b = 0; b < batch; b++)
        {
            double angle = Draw(o.RotationProbability) ? Uniform(-o.MaxRotationDegrees, o.MaxRotationDegrees) : 0;
            double[]? corners = null;
            if (Draw(o.PerspectiveProbability))
            {
                double d = o.PerspectiveStrength * height;
                corners = new double[8];
                for (int k = 0; k < 8; k++)
                {
                    corners[k] = Uniform(0, d); // corner displacement magnitude; its direction is set in BuildHomography
                }
            }

            if (angle != 0 || corners is not null)
            {
                p.Warp[b] = true;
                p.Homographies[b] = BuildHomography(angle, corners, height, width);
            }

            if (Draw(o.ColorJitterProbability))
            {
                p.Jitter[b] = true;
                p.BrightnessFactors[b] = Uniform(1 - o.Brightness, 1 + o.Brightness);
                p.ContrastFactors[b] = Uniform(1 - o.Contrast, 1 + o.Contrast);
                p.SaturationFactors[b] = Uniform(1 - o.Saturation, 1 + o.Saturation);
            }

            p.BlurSigmas[b] = Draw(o.BlurProbability) ? Uniform(0, o.MaxBlurSigma) : 0;
            p.NoiseStds[b] = Draw(o.NoiseProbability) ? Uniform(0, o.MaxNoiseStd) : 0;
            p.Touched[b] = p.Warp[b] || p.Jitter[b] || p.BlurSigmas[b] > 0 || p.NoiseStds[b] > 0;
        }

        p.NoiseSeed = _random.NextInt64(1, long.MaxValue);
        return p;
    }

    private bool Draw(double probability) => probability > 0 && _random.NextDouble() < probability;

    private double Uniform(double low, double high) => low + (high - low) * _random.NextDouble();

    /// <summary>
    /// 3×3 matrix mapping grid_sample's normalised output coordinates to normalised input coordinates:
    /// first the inverse rotation about the centre, then a perspective that maps the output corners to the image corners
    /// moved outwards by <paramref name="inset"/> (x0, y0, x1, y1, ... for TL, TR, BR, BL; pixel units), which shrinks the
    /// content into a random quadrilateral.
    /// </summary>
    internal static double[,] BuildHomography(double angleDegrees, double[]? inset, int height, int width)
    {
        double cx = width / 2.0, cy = height / 2.0;
        double t = angleDegrees * Math.PI / 180.0;
        double cos = Math.Cos(t), sin = Math.Sin(t);
        // input = R(-t) (out - c) + c, in continuous pixel coordinates (u in [0, W], v in [0, H]).
        var rotation = new double[,]
        {
            { cos, sin, cx - cos * cx - sin * cy },
            { -sin, cos, cy + sin * cx - cos * cy },
            { 0, 0, 1 },
        };

        var pixelMap = rotation;
        if (inset is not null)
        {
            double[] dst = { 0, 0, width, 0, width, height, 0, height };
            // Source corners lie outside the image, so the content shrinks into a random quadrilateral inside the
            // output (border pixels fill the rest) instead of being zoomed in: zooming in could crop the first or
            // last character and make the label wrong.
            double[] inward = { 1, 1, -1, 1, -1, -1, 1, -1 };
            var src = new double[8];
            for (int k = 0; k < 8; k++)
            {
                src[k] = dst[k] - inward[k] * inset[k];
            }

            pixelMap = Multiply(SolveHomography(dst, src), rotation);
        }

        var toNormalized = new double[,] { { 2.0 / width, 0, -1 }, { 0, 2.0 / height, -1 }, { 0, 0, 1 } };
        var fromNormalized = new double[,] { { width / 2.0, 0, width / 2.0 }, { 0, height / 2.0, height / 2.0 }, { 0, 0, 1 } };
        return Multiply(toNormalized, Multiply(pixelMap, fromNormalized));
    }

    /// <summary>Homography H (h33 = 1) with H·from[i] = to[i] for four point pairs, by Gaussian elimination.</summary>
    internal static double[,] SolveHomography(double[] from, double[] to)
    {
        var a = new double[8, 9];
        for (int i = 0; i < 4; i++)
        {
            double x = from[2 * i], y = from[2 * i + 1], xp = to[2 * i], yp = to[2 * i + 1];
            double[] r1 = { x, y, 1, 0, 0, 0, -x * xp, -y * xp, xp };
            double[] r2 = { 0, 0, 0, x, y, 1, -x * yp, -y * yp, yp };
            for (int j = 0; j < 9; j++)
            {
                a[2 * i, j] = r1[j];
                a[2 * i + 1, j] = r2[j];
            }
        }

        for (int col = 0; col < 8; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 8; r++)
            {
                if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col]))
                {
                    pivot = r;
                }
            }

            if (Math.Abs(a[pivot, col]) < 1e-12)
            {
                throw new InvalidOperationException("Degenerate perspective corners (three of them are collinear).");
            }

            for (int j = 0; j < 9; j++)
            {
                (a[col, j], a[pivot, j]) = (a[pivot, j], a[col, j]);
            }

            for (int r = 0; r < 8; r++)
            {
                if (r == col)
                {
                    continue;
                }

                double f = a[r, col] / a[col, col];
                for (int j = col; j < 9; j++)
                {
                    a[r, j] -= f * a[col, j];
                }
            }
        }

        var h = new double[3, 3];
        for (int k = 0; k < 8; k++)
        {
            h[k / 3, k % 3] = a[k, 8] / a[k, k];
        }

        h[2, 2] = 1;
        return h;
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        var c = new double[3, 3];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                double s = 0;
                for (int k = 0; k < 3; k++)
                {
                    s += a[i, k] * b[k, j];
                }

                c[i, j] = s;
            }
        }

        return c;
    }

    internal static Tensor Warp(Tensor x, double[][,] homographies, int height, int width)
    {
        int batch = homographies.Length;
        var device = x.device;
        var flat = new float[batch * 9];
        for (int b = 0; b < batch; b++)
        {
            var m = homographies[b] ?? new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 3; j++)
                {
                    flat[b * 9 + j * 3 + i] = (float)m[i, j]; // transposed: rows of coords times M^T
                }
            }
        }

        var matricesT = tensor(flat, new long[] { batch, 3, 3 }, device: device);
        // Pixel centres in grid_sample's normalised coordinates (align_corners = false).
        var xs = TensorMath.Arange(width, ScalarType.Float32, device).Times(2).Plus(1).DividedBy(width).Minus(1);
        var ys = TensorMath.Arange(height, ScalarType.Float32, device).Times(2).Plus(1).DividedBy(height).Minus(1);
        var gridYX = meshgrid(new[] { ys, xs }, indexing: "ij");
        var ones = ones_like(gridYX[0]);
        var baseGrid = stack(new[] { gridYX[1], gridYX[0], ones }, dim: -1).reshape(1, height * width, 3);
        var mapped = matmul(baseGrid, matricesT); // [B, HW, 3]
        var w = mapped[.., .., 2..3];
        // Keep w away from 0 so a strong perspective never divides by zero.
        w = where(w.abs().LessThan(1e-6), TensorMath.FullLike(w, 1e-6), w);
        var grid = mapped[.., .., 0..2].div(w).reshape(batch, height, width, 2);
        return nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
    }

    private static Tensor ColorJitter(Tensor x, double[] brightness, double[] contrast, double[] saturation)
    {
        var device = x.device;
        x = x.mul(Column(brightness, device)).Clamp(0.0, 1.0);
        var mean = Grey(x).mean(new long[] { 1, 2, 3 }, keepdim: true);
        x = x.Minus(mean).mul(Column(contrast, device)).Plus(mean).Clamp(0.0, 1.0);
        var grey = Grey(x);
        return x.Minus(grey).mul(Column(saturation, device)).Plus(grey).Clamp(0.0, 1.0);
    }

    /// <summary>ITU-R BT.601 luma, <c>[B, 1, H, W]</c>.</summary>
    private static Tensor Grey(Tensor x) =>
        x[.., 0..1].Times(0.299).Plus(x[.., 1..2].Times(0.587)).Plus(x[.., 2..3].Times(0.114));

    private static Tensor Blur(Tensor x, double[] sigmas)
    {
        int batch = sigmas.Length;
        int radius = Math.Max(1, (int)Math.Ceiling(3 * sigmas.Max()));
        int size = 2 * radius + 1;
        var kernels = new float[batch * 3 * size];
        for (int b = 0; b < batch; b++)
        {
            var k = new double[size];
            if (sigmas[b] > 0)
            {
                for (int i = 0; i < size; i++)
                {
                    double d = i - radius;
                    k[i] = Math.Exp(-d * d / (2 * sigmas[b] * sigmas[b]));
                }
            }
            else
            {
                k[radius] = 1; // identity kernel
            }

            double sum = k.Sum();
            for (int c = 0; c < 3; c++)
            {
                for (int i = 0; i < size; i++)
                {
                    kernels[((b * 3) + c) * size + i] = (float)(k[i] / sum);
                }
            }
        }

        long height = x.shape[2], width = x.shape[3];
        var weights = tensor(kernels, new long[] { batch * 3, 1, 1, size }, device: x.device);
        var planes = x.reshape(1, batch * 3, height, width);
        planes = nn.functional.pad(planes, new long[] { radius, radius, radius, radius }, PaddingModes.Replicate);
        planes = nn.functional.conv2d(planes, weights, groups: batch * 3);
        planes = nn.functional.conv2d(planes, weights.reshape(batch * 3, 1, size, 1), groups: batch * 3);
        var blurred = planes.reshape(batch, 3, height, width);
        return Select(sigmas.Select(s => s > 0).ToArray(), blurred, x);
    }

    private static Tensor Column(double[] values, Device device) =>
        tensor(values.Select(v => (float)v).ToArray(), new long[] { values.Length, 1, 1, 1 }, device: device);

    private static Tensor Select(bool[] mask, Tensor whenTrue, Tensor whenFalse) =>
        where(tensor(mask, new long[] { mask.Length, 1, 1, 1 }, device: whenTrue.device), whenTrue, whenFalse);

    private sealed class Parameters
    {
        public Parameters(int batch)
        {
            Warp = new bool[batch];
            Homographies = new double[batch][,];
            Jitter = new bool[batch];
            BrightnessFactors = Enumerable.Repeat(1.0, batch).ToArray();
            ContrastFactors = Enumerable.Repeat(1.0, batch).ToArray();
            SaturationFactors = Enumerable.Repeat(1.0, batch).ToArray();
            BlurSigmas = new double[batch];
            NoiseStds = new double[batch];
            Touched = new bool[batch];
        }

        public bool[] Warp { get; }

        public double[][,] Homographies { get; }

        public bool[] Jitter { get; }

        public double[] BrightnessFactors { get; }

        public double[] ContrastFactors { get; }

        public double[] SaturationFactors { get; }

        public double[] BlurSigmas { get; }

        public double[] NoiseStds { get; }

        public bool[] Touched { get; }

        public long NoiseSeed { get; set; }

        public bool AnyTouched => Touched.Any(t => t);
    }
}
