using System.Globalization;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Dptr.MLNet;

/// <summary>
/// Held-out retrieval@1 of a CLIP model among <see cref="Candidates"/> candidates: the fraction of images whose most
/// similar prompt (cosine) is their own (<see cref="ImageToText"/>), and of prompts whose most similar image is their
/// own (<see cref="TextToImage"/>). The held-out pairs are cut into consecutive groups of <see cref="Candidates"/>
/// and the accuracy is over all queries of all groups.
/// </summary>
/// <param name="Candidates">Candidates per query (the group size).</param>
/// <param name="Queries">Queries per direction (groups × candidates).</param>
/// <param name="ImageToText">Image→text retrieval@1 in [0, 1].</param>
/// <param name="TextToImage">Text→image retrieval@1 in [0, 1].</param>
public sealed record ClipRetrieval(int Candidates, int Queries, double ImageToText, double TextToImage)
{
    /// <summary>
    /// Retrieval@1 among <paramref name="candidates"/> of paired embeddings: row i of <paramref name="imageEmbeddings"/>
    /// belongs with row i of <paramref name="textEmbeddings"/> ([N, P] each; cosine similarity; ties go to the lower
    /// index). Uses ⌊N / candidates⌋ groups; the remainder is left out.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, or fewer than <paramref name="candidates"/> pairs.</exception>
    public static ClipRetrieval Measure(Tensor imageEmbeddings, Tensor textEmbeddings, int candidates)
    {
        ArgumentNullException.ThrowIfNull(imageEmbeddings);
        ArgumentNullException.ThrowIfNull(textEmbeddings);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 2);
        if (imageEmbeddings.dim() != 2 || !imageEmbeddings.shape.SequenceEqual(textEmbeddings.shape))
            throw new ArgumentException($"Image and text embeddings must both be [N, P] of the same shape, got [{string.Join(",", imageEmbeddings.shape)}] and [{string.Join(",", textEmbeddings.shape)}].");
        long n = imageEmbeddings.shape[0];
        if (n < candidates) throw new ArgumentException($"Retrieval among {candidates} needs at least {candidates} pairs, got {n}.");
        using var scope = torch.NewDisposeScope();
        var img = nn.functional.normalize(imageEmbeddings.to(ScalarType.Float32), dim: -1);
        var txt = nn.functional.normalize(textEmbeddings.to(ScalarType.Float32), dim: -1);
        long groups = n / candidates;
        int imageHits = 0, textHits = 0;
        for (long g = 0; g < groups; g++)
        {
            var sim = img.narrow(0, g * candidates, candidates).matmul(txt.narrow(0, g * candidates, candidates).t()); // [K images, K texts]
            var bestText = sim.argmax(1).data<long>().ToArray();
            var bestImage = sim.argmax(0).data<long>().ToArray();
            for (int i = 0; i < candidates; i++)
            {
                if (bestText[i] == i) imageHits++;
                if (bestImage[i] == i) textHits++;
            }
        }
        int queries = (int)(groups * candidates);
        return new ClipRetrieval(candidates, queries, (double)imageHits / queries, (double)textHits / queries);
    }

    /// <summary>One line, e.g. <c>among 100: image→text 93.1 %, text→image 92.4 % (1,000 queries)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"among {Candidates}: image→text {ImageToText:P1}, text→image {TextToImage:P1} ({Queries:N0} queries)");

    /// <summary>
    /// Writes a retrieval report (before and after training) as JSON, atomically: <c>{"held_out":N,"steps":S,
    /// "before":[...],"after":[...]}</c> with one entry per candidate-set size.
    /// </summary>
    public static void SaveReport(string path, int heldOut, int steps, IReadOnlyList<ClipRetrieval> before, IReadOnlyList<ClipRetrieval> after)
    {
        ArgumentNullException.ThrowIfNull(path);
        static object Row(ClipRetrieval r) => new Dictionary<string, object>
        {
            ["candidates"] = r.Candidates, ["queries"] = r.Queries, ["image_to_text"] = r.ImageToText, ["text_to_image"] = r.TextToImage,
        };
        var doc = new Dictionary<string, object>
        {
            ["held_out"] = heldOut, ["steps"] = steps, ["before"] = before.Select(Row).ToList(), ["after"] = after.Select(Row).ToList(),
        };
        string full = Path.GetFullPath(path);
        string tmp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(tmp, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>The report file name <c>dptr clip-train</c> and the demo write beside the CLIP weights.</summary>
    public const string ReportFileName = "retrieval.json";
}
