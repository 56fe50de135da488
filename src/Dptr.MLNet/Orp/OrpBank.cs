using System.Globalization;
using System.Text.Json;
using Dptr.MLNet.IO;
using SkiaSharp;
using Dptr.MLNet.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// The ORP feature bank (spec §3): CLIP all-token image features F ∈ R^{N×T×D} (fp16) of natural, non-text images,
/// and the per-step sampling of pseudo-visual noise that DPTR adds (×0.1) to the text memory during pre-training.
/// Stored as one safetensors file: tensor <c>features</c> [N, T, D] F16 and metadata (format, version, CLIP
/// fingerprint, image list).
/// </summary>
public sealed class OrpBank : IDisposable
{
    /// <summary>Value of the <c>format</c> metadata key.</summary>
    public const string FormatName = "dptr-orp-bank";

    /// <summary>Current file format version.</summary>
    public const int FormatVersion = 1;

    /// <summary>Image file extensions <see cref="Build(ClipModel, string, OrpBankOptions?, IProgress{OrpBankBuildProgress}?, CancellationToken)"/> reads from a folder.</summary>
    public static readonly IReadOnlyList<string> ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    /// <summary>Weight of the ORP noise added to the text memory: M + 0.1·noise, fixed (spec §3 step 5).</summary>
    public const double NoiseWeight = 0.1;

    private const string FeaturesKey = "features";
    private bool _disposed;

    private OrpBank(Tensor features, IReadOnlyList<string> images, string modelFingerprint, int skipped)
    {
        Features = features;
        Images = images;
        ModelFingerprint = modelFingerprint;
        SkippedImages = skipped;
    }

    /// <summary>Number of images N.</summary>
    public int Count => (int)Features.shape[0];

    /// <summary>Tokens per image T (197 for ViT-B/16).</summary>
    public int Tokens => (int)Features.shape[1];

    /// <summary>Feature width D (CLIP projection width; must equal the text memory width).</summary>
    public int Width => (int)Features.shape[2];

    /// <summary>Source image names (relative to the folder when built from one), one per bank row.</summary>
    public IReadOnlyList<string> Images { get; }

    /// <summary><see cref="ClipModel.Fingerprint"/> of the CLIP that made the features (empty when unknown).</summary>
    public string ModelFingerprint { get; }

    /// <summary>Unreadable images skipped while building (0 after <see cref="Load"/> unless recorded).</summary>
    public int SkippedImages { get; }

    /// <summary>The features [N, T, D] float16, on the device given to <see cref="Load"/> (CPU after building).</summary>
    internal Tensor Features { get; }

    /// <summary>
    /// Encodes every image of a folder (<see cref="ImageExtensions"/>, ordinal order) — or one image file, or several paths
    /// separated by <see cref="Path.PathSeparator"/> — with CLIP's image tower (spec §2.2 modified forward).
    /// </summary>
    /// <exception cref="InvalidDataException">An image cannot be decoded (names the file) unless skipping is enabled; no images found.</exception>
    public static OrpBank Build(ClipModel clip, string folderOrFiles, OrpBankOptions? options = null,
                                IProgress<OrpBankBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folderOrFiles);
        options ??= new OrpBankOptions();
        if (Directory.Exists(folderOrFiles))
        {
            var files = Directory.EnumerateFiles(folderOrFiles, "*", options.Recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new InvalidDataException($"No images ({string.Join(", ", ImageExtensions)}) found in '{folderOrFiles}'.");
            return Build(clip, files, options, progress, cancellationToken, root: folderOrFiles);
        }
        var paths = folderOrFiles.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var missing = paths.Where(p => !File.Exists(p)).ToList();
        if (paths.Length == 0 || missing.Count > 0)
            throw new FileNotFoundException($"ORP bank: not a folder or existing image file(s): '{string.Join("', '", missing.Count > 0 ? missing : [folderOrFiles])}'.");
        return Build(clip, paths, options, progress, cancellationToken);
    }

    /// <summary>Encodes the given image files (see the folder overload).</summary>
    public static OrpBank Build(ClipModel clip, IReadOnlyList<string> imageFiles, OrpBankOptions? options = null,
                                IProgress<OrpBankBuildProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Build(clip, imageFiles, options ?? new OrpBankOptions(), progress, cancellationToken, root: null);

    private static OrpBank Build(ClipModel clip, IReadOnlyList<string> files, OrpBankOptions options,
                                 IProgress<OrpBankBuildProgress>? progress, CancellationToken ct, string? root)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options.BatchSize));
        var pre = clip.CreatePreprocessor(options.ResizeMode);
        var chunks = new List<Tensor>();
        var names = new List<string>();
        int skipped = 0, done = 0;
        try
        {
            var batch = new List<float[]>();
            void Flush() => EncodeBatch(clip, batch, chunks);
            foreach (var file in files)
            {
                ct.ThrowIfCancellationRequested();
                float[] chw;
                try
                {
                    using var bitmap = ClipImagePreprocessor.Decode(file);
                    chw = pre.ToChw(bitmap);
                }
                catch (InvalidDataException) when (options.SkipUnreadableImages)
                {
                    skipped++;
                    done++;
                    continue;
                }
                batch.Add(chw);
                names.Add(root is null ? file : Path.GetRelativePath(root, file));
                done++;
                if (batch.Count == options.BatchSize)
                {
                    Flush();
                    progress?.Report(new OrpBankBuildProgress(done, files.Count, skipped));
                }
            }
            Flush();
            progress?.Report(new OrpBankBuildProgress(done, files.Count, skipped));
            if (names.Count == 0) throw new InvalidDataException($"ORP bank: none of the {files.Count} image(s) could be read.");
            var features = torch.cat(chunks, 0);
            return new OrpBank(features, names, clip.Fingerprint, skipped);
        }
        finally
        {
            foreach (var c in chunks) c.Dispose();
        }
    }

    /// <summary>
    /// Builds a bank from <paramref name="count"/> synthetic non-text images rendered in memory (see
    /// <see cref="GenerateNaturalLikeImages"/>), for when no natural-image folder is available. Deterministic for a seed.
    /// </summary>
    public static OrpBank BuildSynthetic(ClipModel clip, int count, int seed, OrpBankOptions? options = null,
                                         IProgress<OrpBankBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        options ??= new OrpBankOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options.BatchSize));
        var pre = clip.CreatePreprocessor(options.ResizeMode);
        var rng = new Random(seed);
        var chunks = new List<Tensor>();
        var batch = new List<float[]>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (var bitmap = RenderNaturalLike(rng, Math.Max(clip.ImageSize, 64))) batch.Add(pre.ToChw(bitmap));
                if (batch.Count == options.BatchSize || i == count - 1)
                {
                    EncodeBatch(clip, batch, chunks);
                    progress?.Report(new OrpBankBuildProgress(i + 1, count, 0));
                }
            }
            var names = Enumerable.Range(0, count).Select(i => $"synthetic:{seed}:{i}").ToList();
            return new OrpBank(torch.cat(chunks, 0), names, clip.Fingerprint, 0);
        }
        finally
        {
            foreach (var c in chunks) c.Dispose();
        }
    }

    // Encodes preprocessed images (CHW floats) with CLIP's image tower; appends fp16 CPU features; clears the batch.
    private static void EncodeBatch(ClipModel clip, List<float[]> batch, List<Tensor> chunks)
    {
        if (batch.Count == 0) return;
        using var scope = torch.NewDisposeScope();
        int plane = 3 * clip.ImageHeight * clip.ImageWidth;
        var data = new float[batch.Count * plane];
        for (int i = 0; i < batch.Count; i++) batch[i].CopyTo(data, i * plane);
        var images = torch.tensor(data, [batch.Count, 3, clip.ImageHeight, clip.ImageWidth]);
        chunks.Add(clip.EncodeImageTokens(images).to(ScalarType.Float16).cpu().MoveToOuterDisposeScope());
        batch.Clear();
    }

    /// <summary>Wraps existing features [N, T, D] (any float dtype; stored as fp16 on the CPU) as a bank.</summary>
    public static OrpBank FromFeatures(Tensor features, IReadOnlyList<string>? images = null, string modelFingerprint = "")
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.dim() != 3 || features.shape.Any(s => s < 1))
            throw new ArgumentException($"ORP features must be [N, T, D] with N, T, D ≥ 1, got [{string.Join(",", features.shape)}].", nameof(features));
        images ??= Enumerable.Range(0, (int)features.shape[0]).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        if (images.Count != features.shape[0])
            throw new ArgumentException($"ORP bank: {images.Count} image names for {features.shape[0]} feature rows.", nameof(images));
        return new OrpBank(features.detach().to(ScalarType.Float16).cpu().clone(), images.ToList(), modelFingerprint, 0);
    }

    /// <summary>Writes the bank to one safetensors file (atomic).</summary>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["clip_fingerprint"] = ModelFingerprint,
            ["images"] = JsonSerializer.Serialize(Images),
            ["skipped_images"] = SkippedImages.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensors.Write(path, new Dictionary<string, Tensor> { [FeaturesKey] = Features }, metadata);
    }

    /// <summary>Loads a bank written by <see cref="Save"/>; features are kept as fp16 on <paramref name="device"/> (CPU when null).</summary>
    /// <exception cref="InvalidDataException">Not an ORP bank, unsupported version, or inconsistent contents.</exception>
    public static OrpBank Load(string path, Device? device = null)
    {
        using var contents = SafeTensors.Read(path, ScalarType.Float16);
        var md = contents.Metadata;
        if (!md.TryGetValue("format", out var format) || format != FormatName)
            throw new InvalidDataException($"'{path}' is not a DPTR ORP bank (metadata 'format' is '{format ?? "(absent)"}', expected '{FormatName}').");
        if (!md.TryGetValue("format_version", out var v) || !int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int version) || version > FormatVersion)
            throw new InvalidDataException($"'{path}': ORP bank format version '{v}' is not supported (this library reads ≤ {FormatVersion}).");
        if (!contents.Tensors.TryGetValue(FeaturesKey, out var features) || features.dim() != 3)
            throw new InvalidDataException($"'{path}': ORP bank needs a 3-D tensor '{FeaturesKey}' [N, T, D].");
        List<string> images;
        try { images = JsonSerializer.Deserialize<List<string>>(md.GetValueOrDefault("images", "[]")) ?? []; }
        catch (JsonException ex) { throw new InvalidDataException($"'{path}': metadata 'images' is not a JSON string array: {ex.Message}", ex); }
        if (images.Count != features.shape[0])
            throw new InvalidDataException($"'{path}': {images.Count} image names for {features.shape[0]} feature rows.");
        int.TryParse(md.GetValueOrDefault("skipped_images", "0"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int skipped);
        contents.Tensors.Remove(FeaturesKey);
        var onDevice = features.to(device ?? CPU);
        if (!ReferenceEquals(onDevice, features)) features.Dispose();
        return new OrpBank(onDevice, images, md.GetValueOrDefault("clip_fingerprint", ""), skipped);
    }

    /// <summary>
    /// ORP noise for one pre-training step (spec §3): <paramref name="batch"/> distinct images drawn uniformly without
    /// replacement, and <paramref name="memoryTokens"/> distinct token indices in random order shared by the whole batch
    /// (mixing CLS and patch tokens). Returns [B, memoryTokens, D] float32 on the bank's device; the caller adds 0.1× it
    /// to the text memory.
    /// </summary>
    /// <remarks>
    /// Deviation: when the bank has fewer tokens per image than <paramref name="memoryTokens"/> (small CLIPs, e.g.
    /// 65 tokens for 64 px / patch 8 versus a 78-token memory), token indices are drawn WITH replacement, since 78 distinct
    /// indices do not exist. With ViT-B/16 (197 tokens) the sampling is exactly the paper's.
    /// </remarks>
    /// <param name="batch">B; must be ≤ <see cref="Count"/> (the original draws images without replacement).</param>
    /// <param name="memoryTokens">Tokens of the text memory (78).</param>
    /// <param name="generator">Torch generator for reproducible sampling (global RNG when null).</param>
    public Tensor SampleNoise(int batch, int memoryTokens = 78, Generator? generator = null)
    {
        CheckSample(batch, memoryTokens);
        using var scope = torch.NewDisposeScope();
        var imgs = torch.randperm(Count, generator: generator)[TensorIndex.Slice(0, batch)];
        var toks = Tokens >= memoryTokens
            ? torch.randperm(Tokens, generator: generator)[TensorIndex.Slice(0, memoryTokens)]
            : torch.randint(0, Tokens, [memoryTokens], generator: generator, dtype: ScalarType.Int64);
        return Gather(imgs, toks).MoveToOuterDisposeScope();
    }

    /// <summary>As <see cref="SampleNoise(int, int, Generator?)"/> with host-side sampling from <paramref name="random"/>.</summary>
    public Tensor SampleNoise(int batch, int memoryTokens, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        CheckSample(batch, memoryTokens);
        using var scope = torch.NewDisposeScope();
        long[] imgs = Permutation(Count, random)[..batch];
        long[] toks = Tokens >= memoryTokens
            ? Permutation(Tokens, random)[..memoryTokens]
            : Enumerable.Range(0, memoryTokens).Select(_ => (long)random.Next(Tokens)).ToArray();
        return Gather(torch.tensor(imgs), torch.tensor(toks)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Returns <paramref name="memory"/> + <see cref="NoiseWeight"/>·<see cref="SampleNoise(int, int, Generator?)"/> for a text
    /// memory [B, T, D] (spec §3, pre-training only); D must equal <see cref="Width"/>. The input is not modified.
    /// </summary>
    public Tensor Perturb(Tensor memory, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (memory.dim() != 3 || memory.shape[2] != Width)
            throw new ArgumentException($"ORP: the text memory must be [B, T, {Width}] to match the bank width, got [{string.Join(",", memory.shape)}].", nameof(memory));
        using var scope = torch.NewDisposeScope();
        var noise = SampleNoise((int)memory.shape[0], (int)memory.shape[1], generator).to(memory.device).to(memory.dtype);
        return memory.Plus(noise.Times(NoiseWeight)).MoveToOuterDisposeScope();
    }

    private Tensor Gather(Tensor imgs, Tensor toks) =>
        Features.index_select(0, imgs.to(Features.device)).index_select(1, toks.to(Features.device)).to(ScalarType.Float32);

    private static long[] Permutation(int n, Random random)
    {
        var p = new long[n];
        for (int i = 0; i < n; i++) p[i] = i;
        random.Shuffle(p);
        return p;
    }

    private void CheckSample(int batch, int memoryTokens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(memoryTokens, 1);
        if (batch > Count)
            throw new ArgumentException($"The ORP bank has {Count} image(s) but the batch needs {batch} distinct ones (spec §3: images are drawn without replacement, so N_img ≥ batch size). Build the bank from more images or lower the batch size.", nameof(batch));
    }

    /// <summary>
    /// Writes <paramref name="count"/> synthetic "natural-like" non-text PNG images (gradients, soft shapes, blobs and
    /// noise; no glyphs) into <paramref name="folder"/>, deterministic for a seed; for when no natural-image folder is given.
    /// </summary>
    /// <returns>The written file paths.</returns>
    public static IReadOnlyList<string> GenerateNaturalLikeImages(string folder, int count, int seed, int size = 96)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        Directory.CreateDirectory(folder);
        var rng = new Random(seed);
        var paths = new List<string>();
        for (int i = 0; i < count; i++)
        {
            using var bitmap = RenderNaturalLike(rng, size);
            string path = Path.Combine(folder, $"natural_{i:D5}.png");
            string tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
            using (var image = SKImage.FromBitmap(bitmap))
            using (var data = image.Encode(SKEncodedImageFormat.Png, 100))
            using (var fs = File.Create(tmp))
                data.SaveTo(fs);
            File.Move(tmp, path, overwrite: true);
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>One synthetic non-text image (gradient background, soft shapes, speckle noise).</summary>
    internal static SKBitmap RenderNaturalLike(Random rng, int size)
    {
        SKColor RandomColor(byte alpha = 255) => new((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256), alpha);
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        using (var bg = new SKPaint())
        {
            var p0 = new SKPoint(rng.Next(size), rng.Next(size));
            bg.Shader = rng.Next(2) == 0
                ? SKShader.CreateLinearGradient(p0, new SKPoint(rng.Next(size), rng.Next(size)), [RandomColor(), RandomColor(), RandomColor()], SKShaderTileMode.Mirror)
                : SKShader.CreateRadialGradient(p0, size * (0.3f + (float)rng.NextDouble()), [RandomColor(), RandomColor()], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, size, size, bg);
        }
        int shapes = 2 + rng.Next(8);
        for (int s = 0; s < shapes; s++)
        {
            using var paint = new SKPaint { IsAntialias = true, Color = RandomColor((byte)(60 + rng.Next(180))) };
            if (rng.Next(3) == 0) paint.MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, 1 + rng.Next(size / 8));
            float cx = rng.Next(size), cy = rng.Next(size), r = size * (0.05f + 0.35f * (float)rng.NextDouble());
            switch (rng.Next(3))
            {
                case 0: canvas.DrawOval(cx, cy, r, r * (0.4f + (float)rng.NextDouble()), paint); break;
                case 1:
                    canvas.Save();
                    canvas.RotateDegrees(rng.Next(360), cx, cy);
                    canvas.DrawRect(cx - r, cy - r / 2, 2 * r, r, paint);
                    canvas.Restore();
                    break;
                default:
                    using (var path = new SKPath())
                    {
                        path.MoveTo(cx, cy);
                        for (int k = 0; k < 3; k++)
                            path.QuadTo(rng.Next(size), rng.Next(size), rng.Next(size), rng.Next(size));
                        path.Close();
                        canvas.DrawPath(path, paint);
                    }
                    break;
            }
        }
        // Speckle noise, like sensor grain.
        int amount = rng.Next(4) * size * size / 16;
        using var dot = new SKPaint();
        for (int k = 0; k < amount; k++)
        {
            dot.Color = RandomColor((byte)rng.Next(40, 120));
            canvas.DrawPoint(rng.Next(size), rng.Next(size), dot);
        }
        canvas.Flush();
        return bitmap;
    }

    /// <summary>Releases the features.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Features.Dispose();
    }
}
