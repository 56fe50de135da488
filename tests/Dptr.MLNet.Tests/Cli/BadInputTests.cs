using System.IO.Compression;
using System.Text;
using Dptr.MLNet.Tests.Common;

namespace Dptr.MLNet.Tests.Cli;

/// <summary>
/// The CLI as a hostile user meets it: every verb given missing, empty, truncated and wrong-format files, the wrong kind
/// of model, unusual and decompression-bomb images, out-of-range numbers, unknown options and unwritable outputs. Each
/// case must end with the stated exit code and ONE stderr line <c>dptr &lt;verb&gt;: …</c> that names what was wrong
/// (the file, row or option), never a stack trace nor an ML.NET internal message. All inputs are generated here.
/// </summary>
[TestClass]
public sealed class BadInputTests
{
    private static string _root = "";
    private static readonly Dictionary<string, string> Fixed = [];

    /// <summary>ML.NET's internal wrappers, which must never reach the user instead of the real cause.</summary>
    private static readonly string[] InternalMessages =
    [
        "Splitter/consolidator worker", "Failed to open a zip archive", "Could not load legacy format model", "   at ", "Exception:",
        "Error during class instantiation",
    ];

    [ClassInitialize]
    public static void BuildFixtures(TestContext _)
    {
        _root = TestData.NewTempDir();
        string clip = Path.Combine(_root, "clip");
        using (var model = TinyModels.CreateClip()) model.Save(clip);
        string words = Path.Combine(_root, "words.txt");
        File.WriteAllLines(words, TinyModels.Words);
        string data = Path.Combine(_root, "data"), pre = Path.Combine(_root, "pre.zip"), rec = Path.Combine(_root, "model.zip"), bank = Path.Combine(_root, "bank.safetensors");
        Must(DptrCli.Run("synth", "--out", data, "--count", "16", "--words", words, "--threads", "1"));
        Must(DptrCli.Run("pretrain", "--clip", clip, "--words", words, "--out", pre, "--steps", "2", "--batch", "8", "--depth", "1", "--heads", "2", "--validation", "4"));
        Must(DptrCli.Run("finetune", "--data", data, "--out", rec, "--steps", "2", "--batch", "8", "--width", "32", "--depth", "1", "--heads", "2", "--no-augment"));
        Must(DptrCli.Run("bank", "--clip", clip, "--synthetic", "4", "--out", bank, "--batch", "2"));
        Fixed["clip"] = clip;
        Fixed["words"] = words;
        Fixed["data"] = data;
        Fixed["pre"] = pre;
        Fixed["model"] = rec;
        Fixed["bank"] = bank;
        Fixed["img"] = Directory.GetFiles(Path.Combine(data, "images")).Order(StringComparer.Ordinal).First();
        Fixed["missing"] = Path.Combine(_root, "no-such-thing");
        Directory.CreateDirectory(Path.Combine(_root, "hostile"));
    }

    private static void Must(DptrCli.Outcome run) => Assert.AreEqual(0, run.Code, "fixture: " + run);

    [ClassCleanup]
    public static void DeleteFixtures()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    /// <summary>A hostile input by name, created on first use under hostile/.</summary>
    private static string Hostile(string name)
    {
        string path = Path.Combine(_root, "hostile", name);
        if (File.Exists(path) || Directory.Exists(path)) return path;
        void Bytes(byte[] b) => File.WriteAllBytes(path, b);
        void Text(string t) => File.WriteAllText(path, t);
        void Folder(string labels, params (string Name, byte[] Bytes)[] files)
        {
            Directory.CreateDirectory(path);
            File.WriteAllText(Path.Combine(path, "labels.tsv"), labels);
            foreach (var (n, b) in files) File.WriteAllBytes(Path.Combine(path, n), b);
        }
        var picture = CraftedImages.Picture(128, 32);
        switch (name)
        {
            // images
            case "empty.png": Bytes([]); break;
            case "text.png": Text("I am a text file, not a picture.\n"); break;
            case "truncated.png": Bytes(CraftedImages.Truncate(picture)); break;
            case "truncated.jpg": Bytes(CraftedImages.Truncate(CraftedImages.Picture(128, 32, SkiaSharp.SKEncodedImageFormat.Jpeg))); break;
            case "bomb.png": Bytes(CraftedImages.Bomb()); break;
            case "huge.jpg": Bytes(CraftedImages.HugeJpegHeader()); break;
            case "zero.png": Bytes(CraftedImages.ZeroSizePng()); break;
            case "folder.png": Directory.CreateDirectory(path); break;
            case "16bit.png": Bytes(CraftedImages.Png(128, 32, 16, 2, (x, _) => (byte)(x % 7 == 0 ? 0 : 255))); break;
            case "palette.png": Bytes(CraftedImages.Png(128, 32, 8, 3, (x, _) => (byte)(x % 7 == 0 ? 0 : 1))); break;
            case "gray.png": Bytes(CraftedImages.Png(128, 32, 8, 0, (x, _) => (byte)(x % 7 == 0 ? 0 : 255))); break;
            case "1x1.png": Bytes(CraftedImages.Png(1, 1)); break;
            case "cmyk.jpg": Bytes(CraftedImages.CmykJpeg()); break;
            // model zips
            case "empty.zip": Bytes([]); break;
            case "text.zip": Text("not a zip"); break;
            case "truncated.zip": Bytes(CraftedImages.Truncate(File.ReadAllBytes(Fixed["model"]), 0.5)); break;
            case "other.zip":
                using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
                using (var w = new StreamWriter(zip.CreateEntry("hello.txt").Open())) w.Write("hello");
                break;
            case "png.zip": Bytes(picture); break;
            // datasets
            case "empty-dir": Directory.CreateDirectory(path); break;
            case "empty-labels": Folder(""); break;
            case "bad-line": Folder("a.png\tcat\nno tab on this line\n", ("a.png", picture)); break;
            case "empty-label": Folder("a.png\t\n", ("a.png", picture)); break;
            case "missing-image": Folder("a.png\tcat\nnope.png\tdog\n", ("a.png", picture)); break;
            case "truncated-image": Folder("a.png\tcat\nb.png\tdog\n", ("a.png", picture), ("b.png", CraftedImages.Truncate(picture))); break;
            case "bomb-image": Folder("bomb.png\tcat\n", ("bomb.png", CraftedImages.Bomb())); break;
            case "text-image": Folder("a.png\tcat\n", ("a.png", "not an image"u8.ToArray())); break;
            case "not-utf8":
                Folder("");
                File.WriteAllBytes(Path.Combine(path, "labels.tsv"), [(byte)'a', (byte)'.', (byte)'p', (byte)'n', (byte)'g', 9, 0xFF, 0xFE, 0xC3, 10]);
                File.WriteAllBytes(Path.Combine(path, "a.png"), picture);
                break;
            case "lmdb-garbage":
                Directory.CreateDirectory(path);
                File.WriteAllText(Path.Combine(path, "data.mdb"), "this is not an LMDB environment, just text padding it out a little");
                break;
            // word lists and vocabularies
            case "empty.txt": Bytes([]); break;
            case "blank.txt": Text("\n   \n\t\n\n"); break;
            case "binary.txt": Bytes([0xFF, 0xFE, 0x00, 0x80, 0x81, 10, 0xC3, 0x28, 10]); break;
            case "bad-vocab.txt": Text("#version: 0.2\nthis_line_has_no_space\n"); break;
            case "plain.txt.gz": Text("#version: 0.2\na b\n"); break;
            // CLIP folders
            case "clip-bad-config": Directory.CreateDirectory(path); File.WriteAllText(Path.Combine(path, "config.json"), "{ not json"); break;
            case "clip-no-weights":
                Directory.CreateDirectory(path);
                File.Copy(Path.Combine(Fixed["clip"], "config.json"), Path.Combine(path, "config.json"));
                break;
            case "clip-bad-weights":
                Directory.CreateDirectory(path);
                File.Copy(Path.Combine(Fixed["clip"], "config.json"), Path.Combine(path, "config.json"));
                File.WriteAllText(Path.Combine(path, "model.safetensors"), "garbage, not safetensors");
                break;
            case "clip-truncated-weights":
                Directory.CreateDirectory(path);
                File.Copy(Path.Combine(Fixed["clip"], "config.json"), Path.Combine(path, "config.json"));
                File.WriteAllBytes(Path.Combine(path, "model.safetensors"), CraftedImages.Truncate(File.ReadAllBytes(Path.Combine(Fixed["clip"], "model.safetensors")), 0.5));
                break;
            // banks
            case "empty.safetensors": Bytes([]); break;
            case "garbage.safetensors": Text("garbage, not safetensors at all"); break;
            case "truncated-bank.safetensors": Bytes(CraftedImages.Truncate(File.ReadAllBytes(Fixed["bank"]), 0.5)); break;
            case "plainfile": Text("a file where a folder is expected"); break;
            case "images-empty": Directory.CreateDirectory(path); break;
            case "images-bad":
                Directory.CreateDirectory(path);
                File.WriteAllBytes(Path.Combine(path, "good.png"), picture);
                File.WriteAllBytes(Path.Combine(path, "truncated.png"), CraftedImages.Truncate(picture));
                break;
            case "images-bomb":
                Directory.CreateDirectory(path);
                File.WriteAllBytes(Path.Combine(path, "bomb.png"), CraftedImages.Bomb());
                break;
            default: throw new ArgumentException($"unknown hostile input '{name}'");
        }
        return path;
    }

    private static string LongText => string.Join(" ", Enumerable.Repeat("supercalifragilistic", 30));

    /// <summary>Expands {model}, {f:name}, {out:name} … in a command line written as one string (tokens separated by '|').</summary>
    private static string[] Expand(string line, string outDir) => line.Split('|').Select(token =>
    {
        var sb = new StringBuilder();
        int i = 0;
        while (i < token.Length)
        {
            int open = token.IndexOf('{', i);
            if (open < 0) { sb.Append(token[i..]); break; }
            int close = token.IndexOf('}', open);
            sb.Append(token[i..open]);
            string key = token[(open + 1)..close];
            sb.Append(key switch
            {
                "long" => LongText,
                _ when key.StartsWith("f:", StringComparison.Ordinal) => Hostile(key[2..]),
                _ when key.StartsWith("out:", StringComparison.Ordinal) => Path.Combine(outDir, key[4..]),
                _ => Fixed[key],
            });
            i = close + 1;
        }
        return sb.ToString();
    }).ToArray();

    [TestMethod]
    // --- recognize: images
    [DataRow("recognize|--model|{model}|{missing}", 1, "image not found: '{missing}'")]
    [DataRow("recognize|--model|{model}|{f:empty.png}", 1, "{f:empty.png}' is empty (0 bytes)")]
    [DataRow("recognize|--model|{model}|{f:text.png}", 1, "{f:text.png}' is not an image")]
    [DataRow("recognize|--model|{model}|{f:truncated.png}", 1, "{f:truncated.png}' is a truncated or corrupt PNG")]
    [DataRow("recognize|--model|{model}|{f:truncated.jpg}", 1, "{f:truncated.jpg}' is a truncated or corrupt JPEG")]
    [DataRow("recognize|--model|{model}|{f:bomb.png}", 1, "{f:bomb.png}' is 12000×12000 pixels; images are limited to 16384 per side and 64 Mi pixels")]
    [DataRow("recognize|--model|{model}|{f:huge.jpg}", 1, "{f:huge.jpg}' is 60000×60000 pixels")]
    [DataRow("recognize|--model|{model}|{f:zero.png}", 1, "{f:zero.png}': its PNG header says 0×0 pixels")]
    [DataRow("recognize|--model|{model}|{f:folder.png}", 1, "{f:folder.png}' is a folder")]
    [DataRow("recognize|--model|{model}|{img}|{f:truncated.png}", 1, "{f:truncated.png}' is a truncated")]
    // --- recognize: unusual but valid images are read (exit 0, one line each)
    [DataRow("recognize|--model|{model}|{f:16bit.png}", 0, "{f:16bit.png}\t")]
    [DataRow("recognize|--model|{model}|{f:palette.png}", 0, "{f:palette.png}\t")]
    [DataRow("recognize|--model|{model}|{f:gray.png}", 0, "{f:gray.png}\t")]
    [DataRow("recognize|--model|{model}|{f:1x1.png}", 0, "{f:1x1.png}\t")]
    [DataRow("recognize|--model|{model}|{f:cmyk.jpg}", 0, "{f:cmyk.jpg}\t")]
    // --- recognize / eval: model files
    [DataRow("recognize|--model|{missing}|{img}", 1, "model file not found: '{missing}'")]
    [DataRow("recognize|--model|{f:empty.zip}|{img}", 1, "{f:empty.zip}' is empty (0 bytes); expected a model zip")]
    [DataRow("recognize|--model|{f:text.zip}|{img}", 1, "{f:text.zip}' is not a zip file")]
    [DataRow("recognize|--model|{f:png.zip}|{img}", 1, "{f:png.zip}' is not a zip file")]
    [DataRow("recognize|--model|{f:truncated.zip}|{img}", 1, "{f:truncated.zip}' is a truncated or corrupt zip")]
    [DataRow("recognize|--model|{f:other.zip}|{img}", 1, "{f:other.zip}' is a zip but not an ML.NET model")]
    [DataRow("recognize|--model|{pre}|{img}", 1, "{pre}' is a pre-training model (a text decoder, it cannot read images)")]
    [DataRow("recognize|--model|{data}|{img}", 1, "{data}' is a folder; expected a model zip")]
    [DataRow("eval|--model|{pre}|--data|{data}", 1, "{pre}' is a pre-training model")]
    [DataRow("eval|--model|{f:truncated.zip}|--data|{data}", 1, "{f:truncated.zip}' is a truncated or corrupt zip")]
    [DataRow("eval|--model|{missing}|--data|{data}", 1, "model file not found: '{missing}'")]
    // --- eval / finetune: datasets
    [DataRow("eval|--model|{model}|--data|{missing}", 1, "data folder not found: '{missing}'")]
    [DataRow("eval|--model|{model}|--data|{words}", 1, "{words}' is a file; expected a folder with labels.tsv")]
    [DataRow("eval|--model|{model}|--data|{f:empty-dir}", 1, "{f:empty-dir}' is neither a folder dataset (no labels.tsv) nor an LMDB dataset")]
    [DataRow("eval|--model|{model}|--data|{f:empty-labels}", 1, "labels.tsv' lists no images")]
    [DataRow("eval|--model|{model}|--data|{f:bad-line}", 1, "labels.tsv line 2 has no 'path<TAB>label' form")]
    [DataRow("eval|--model|{model}|--data|{f:empty-label}", 1, "labels.tsv line 1 has an empty label")]
    [DataRow("eval|--model|{model}|--data|{f:missing-image}", 1, "labels.tsv line 2 ('nope.png'): image not found")]
    [DataRow("eval|--model|{model}|--data|{f:truncated-image}", 1, "labels.tsv line 2 ('b.png'): '")]
    [DataRow("eval|--model|{model}|--data|{f:bomb-image}", 1, "labels.tsv line 1 ('bomb.png'): '")]
    [DataRow("eval|--model|{model}|--data|{f:text-image}", 1, "labels.tsv line 1 ('a.png'): '")]
    [DataRow("eval|--model|{model}|--data|{f:not-utf8}", 1, "labels.tsv line 1 is not valid UTF-8")]
    [DataRow("eval|--model|{model}|--data|{f:lmdb-garbage}", 1, "{f:lmdb-garbage}")]
    [DataRow("finetune|--data|{f:empty-labels}|--out|{out:m.zip}", 1, "labels.tsv' lists no images")]
    [DataRow("finetune|--data|{f:truncated-image}|--out|{out:m.zip}", 1, "labels.tsv line 2 ('b.png')")]
    [DataRow("finetune|--data|{data}|--validation|{f:bad-line}|--out|{out:m.zip}", 1, "labels.tsv line 2 has no 'path<TAB>label' form")]
    [DataRow("finetune|--data|{data}|--pretrained|{model}|--out|{out:m.zip}", 1, "{model}' is a recognizer, not a pre-training model")]
    [DataRow("finetune|--data|{data}|--pretrained|{f:text.zip}|--out|{out:m.zip}", 1, "{f:text.zip}' is not a zip file")]
    [DataRow("finetune|--data|{data}|--pretrained|{missing}|--out|{out:m.zip}", 1, "model file not found: '{missing}'")]
    [DataRow("finetune|--data|{data}|--out|{out:m.zip}|--batch|64", 1, "the training data has 16 rows, fewer than one batch of 64")]
    // --- numbers out of range, NaN, not numbers (usage, at parse time)
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--steps|-1", 2, "--steps must be ≥ 1, got -1")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--steps|0", 2, "--steps must be ≥ 1, got 0")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--batch|0", 2, "--batch must be in 1..65536, got 0")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--lr|NaN", 2, "--lr must be a finite number > 0, got 'NaN'")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--lr|-0.1", 2, "--lr must be a finite number > 0, got '-0.1'")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--lr|Infinity", 2, "--lr must be a finite number > 0")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--lr|fast", 2, "--lr expects a number, got 'fast'")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--epochs|ten", 2, "'ten'")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--validation|-5", 2, "--validation must be ≥ 0, got -5")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--heads|3", 2, "--heads (3) must divide the CLIP text width (32)")]
    [DataRow("finetune|--data|{data}|--out|{out:m.zip}|--steps|-1", 2, "--steps must be ≥ 1, got -1")]
    [DataRow("finetune|--data|{data}|--out|{out:m.zip}|--width|0", 2, "--width must be in 8..4096, got 0")]
    [DataRow("finetune|--data|{data}|--out|{out:m.zip}|--freeze|-1", 2, "--freeze must be ≥ 0, got -1")]
    [DataRow("finetune|--data|{data}|--out|{out:m.zip}|--heads|3", 2, "--heads (3) must divide --width (128)")]
    [DataRow("finetune|--data|{data}|--out|{out:m.zip}|--lr|nan", 2, "--lr must be a finite number > 0")]
    [DataRow("clip-train|--out|{out:c}|--batch|1", 2, "--batch must be in 2..65536, got 1")]
    [DataRow("clip-train|--out|{out:c}|--steps|0", 2, "--steps must be ≥ 1, got 0")]
    [DataRow("clip-train|--out|{out:c}|--patch|7", 2, "--patch (7) must divide --image-size (64)")]
    [DataRow("clip-train|--out|{out:c}|--lr|0", 2, "--lr must be a finite number > 0, got '0'")]
    [DataRow("clip-train|--out|{out:c}|--spelling-weight|-1", 2, "--spelling-weight must be a finite number ≥ 0, got '-1'")]
    [DataRow("clip-train|--out|{out:c}|--character-weight|NaN", 2, "--character-weight must be a finite number ≥ 0, got 'NaN'")]
    [DataRow("synth|--out|{out:s}|--count|0", 2, "--count must be ≥ 1, got 0")]
    [DataRow("synth|--out|{out:s}|--count|-5", 2, "--count must be ≥ 1, got -5")]
    [DataRow("synth|--out|{out:s}|--jpeg|101", 2, "--jpeg must be in 0..100, got 101")]
    [DataRow("synth|--out|{out:s}|--threads|0", 2, "--threads must be in 1..1024, got 0")]
    [DataRow("synth|--out|{out:s}|--format|png", 2, "'png'")]
    [DataRow("bank|--clip|{clip}|--synthetic|0|--out|{out:b.safetensors}", 2, "--synthetic must be in 1..1000000, got 0")]
    [DataRow("bank|--clip|{clip}|--synthetic|2|--batch|0|--out|{out:b.safetensors}", 2, "--batch must be in 1..4096, got 0")]
    [DataRow("bench|--steps|0", 2, "--steps must be in 1..100000, got 0")]
    [DataRow("bench|--config|gpu-huge", 2, "'gpu-huge'")]
    // --- options: unknown, missing, contradictory
    [DataRow("eval|--model|{model}|--data|{data}|--jsn", 2, "'--jsn'")]
    [DataRow("recognize|--model|{model}|--fast|{img}", 2, "unknown option '--fast'")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{out:p.zip}|--stesp|3", 2, "'--stesp'")]
    [DataRow("recognize|{img}", 2, "--model")]
    [DataRow("recognize|--model|{model}", 2, "give at least one image file")]
    [DataRow("eval|--model|{model}", 2, "--data")]
    [DataRow("eval|--data|{data}|--model", 2, "--model")]
    [DataRow("train|--data|{data}", 2, "'train'")]
    [DataRow("bank|--clip|{clip}|--out|{out:b.safetensors}", 2, "give exactly one of --images <folder> or --synthetic <n>")]
    [DataRow("bank|--clip|{clip}|--images|{data}|--synthetic|2|--out|{out:b.safetensors}", 2, "give exactly one of --images")]
    // --- word lists, vocabularies, CLIP folders, banks
    [DataRow("pretrain|--clip|{clip}|--words|{f:empty.txt}|--out|{out:p.zip}", 1, "--words '{f:empty.txt}' has no words")]
    [DataRow("pretrain|--clip|{clip}|--words|{f:blank.txt}|--out|{out:p.zip}", 1, "--words '{f:blank.txt}' has no words")]
    [DataRow("pretrain|--clip|{clip}|--words|{f:binary.txt}|--out|{out:p.zip}", 1, "{f:binary.txt} line 1 is not valid UTF-8")]
    [DataRow("pretrain|--clip|{clip}|--words|{missing}|--out|{out:p.zip}", 1, "--words file not found: '{missing}'")]
    [DataRow("synth|--out|{out:s}|--words|{f:blank.txt}", 1, "--words '{f:blank.txt}' has no words")]
    [DataRow("clip-train|--out|{out:c}|--words|{f:empty.txt}", 1, "--words '{f:empty.txt}' has no words")]
    [DataRow("clip-train|--out|{out:c}|--words|{words}|--batch|64", 1, "needs at least 64 distinct renderable training words (batch 64, 6 held out), got 24 of 30 words")]
    [DataRow("clip-train|--out|{out:c}|--vocab|{f:bad-vocab.txt}|--words|{words}", 1, "{f:bad-vocab.txt}")]
    [DataRow("tokenize|--vocab|{f:empty.txt}|hello", 1, "{f:empty.txt}' is empty (0 bytes); expected a CLIP vocabulary")]
    [DataRow("tokenize|--vocab|{f:bad-vocab.txt}|hello", 1, "{f:bad-vocab.txt}")]
    [DataRow("tokenize|--vocab|{f:plain.txt.gz}|hello", 1, "{f:plain.txt.gz}")]
    [DataRow("tokenize|--vocab|{f:empty-dir}|hello", 1, "no CLIP vocabulary in folder '{f:empty-dir}'")]
    [DataRow("tokenize|--vocab|{missing}|hello", 1, "CLIP vocabulary not found: '{missing}'")]
    [DataRow("tokenize|--vocab|{clip}|--prompt|{long}", 1, "text 1 ('supercalifragilistic supercali…') is")]
    [DataRow("tokenize|--vocab|{clip}|--template|no placeholder|hello", 2, "--template must contain")]
    [DataRow("tokenize|--vocab|{clip}|--file|{missing}", 1, "--file not found: '{missing}'")]
    [DataRow("pretrain|--clip|{missing}|--words|{words}|--out|{out:p.zip}", 1, "CLIP model folder not found: '{missing}'")]
    [DataRow("pretrain|--clip|{f:empty-dir}|--words|{words}|--out|{out:p.zip}", 1, "config.json")]
    [DataRow("pretrain|--clip|{f:clip-bad-config}|--words|{words}|--out|{out:p.zip}", 1, "config.json")]
    [DataRow("pretrain|--clip|{f:clip-no-weights}|--words|{words}|--out|{out:p.zip}", 1, "model.safetensors")]
    [DataRow("pretrain|--clip|{f:clip-bad-weights}|--words|{words}|--out|{out:p.zip}", 1, "model.safetensors")]
    [DataRow("pretrain|--clip|{f:clip-truncated-weights}|--words|{words}|--out|{out:p.zip}", 1, "model.safetensors")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--bank|{missing}|--out|{out:p.zip}", 1, "--bank file not found: '{missing}'")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--bank|{f:empty.safetensors}|--out|{out:p.zip}", 1, "{f:empty.safetensors}")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--bank|{f:garbage.safetensors}|--out|{out:p.zip}", 1, "{f:garbage.safetensors}")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--bank|{f:truncated-bank.safetensors}|--out|{out:p.zip}", 1, "{f:truncated-bank.safetensors}")]
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--bank|{clip}/model.safetensors|--out|{out:p.zip}", 1, "is not a DPTR ORP bank")]
    [DataRow("bank|--clip|{clip}|--images|{f:images-empty}|--out|{out:b.safetensors}", 1, "--images '{f:images-empty}' holds no images")]
    [DataRow("bank|--clip|{clip}|--images|{f:images-bad}|--out|{out:b.safetensors}", 1, "truncated.png' is a truncated or corrupt PNG")]
    [DataRow("bank|--clip|{clip}|--images|{f:images-bomb}|--out|{out:b.safetensors}", 1, "bomb.png' is 12000×12000 pixels")]
    [DataRow("bank|--clip|{clip}|--images|{missing}|--out|{out:b.safetensors}", 1, "--images folder not found: '{missing}'")]
    // --- output paths that cannot be written: refused before any work
    [DataRow("pretrain|--clip|{clip}|--words|{words}|--out|{f:plainfile}/p.zip", 1, "{f:plainfile}' is a file, so no folder can be made there")]
    [DataRow("finetune|--data|{data}|--out|{data}", 1, "--out '{data}' is a folder; expected a file path")]
    [DataRow("finetune|--data|{data}|--out|/proc/dptr-no/m.zip", 1, "--out '/proc/dptr-no/m.zip': cannot write in '/proc'")]
    [DataRow("synth|--out|{words}|--count|2", 1, "--out '{words}' is a file; expected a folder")]
    [DataRow("clip-train|--out|/proc/dptr-no", 1, "cannot write in '/proc'")]
    [DataRow("bank|--clip|{clip}|--synthetic|2|--out|{data}", 1, "--out '{data}' is a folder; expected a file path")]
    [DataRow("demo|--out|{words}", 1, "--out '{words}' is a file; expected a folder")]
    [DataRow("demo|--natural-images|{missing}", 1, "--natural-images folder not found: '{missing}'")]
    [DataRow("demo|--clip|{missing}", 1, "--clip folder not found: '{missing}'")]
    [DataRow("demo|--quick|--long", 2, "--quick and --long are different presets: pass one of them")]
    public void EachBadInputGetsItsExitCodeAndOneLineNamingIt(string line, int code, string expected)
    {
        string outDir = Path.Combine(_root, "out-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(outDir);
        var args = Expand(line, outDir);
        string want = Expand(expected, outDir)[0];
        var run = DptrCli.Run(args);
        var errorLines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string prefix = args[0] == "train" ? "dptr: " : $"dptr {args[0]}: ";
        bool ok = code == 0
            ? run.Code == 0 && run.OutputLines.Length == 1 && run.Output.StartsWith(want, StringComparison.Ordinal)
            : run.Code == code && errorLines.Length == 1 && errorLines[0].StartsWith(prefix, StringComparison.Ordinal)
              && errorLines[0].Contains(want, StringComparison.Ordinal) && !InternalMessages.Any(m => run.Error.Contains(m, StringComparison.Ordinal));
        Assert.IsTrue(ok, $"expected exit {code} and one line containing \"{want}\"; got {run}");
    }
    [TestMethod]
    [DataRow("pretrain|--clip|{clip}|--words|{f:empty.txt}|--out|{target}", "model.zip")]
    [DataRow("finetune|--data|{f:truncated-image}|--out|{target}", "model.zip")]
    [DataRow("finetune|--data|{data}|--pretrained|{model}|--out|{target}", "model.zip")]
    [DataRow("bank|--clip|{clip}|--images|{f:images-bad}|--out|{target}", "bank.safetensors")]
    [DataRow("synth|--out|{target}|--words|{f:blank.txt}", "labels.tsv")]
    public void AFileThatExistedBeforeAFailedRunIsUnchanged(string line, string existing)
    {
        string outDir = Path.Combine(_root, "keep-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(outDir);
        // For synth the target is a folder that already holds a dataset listing; otherwise the target is the file itself.
        string target = existing == "labels.tsv" ? outDir : Path.Combine(outDir, existing);
        string file = existing == "labels.tsv" ? Path.Combine(outDir, "labels.tsv") : target;
        File.WriteAllText(file, "precious contents");
        var run = DptrCli.Run(Expand(line.Replace("{target}", target, StringComparison.Ordinal), outDir));
        Assert.IsTrue(run.Code == 1 && File.ReadAllText(file) == "precious contents" && Directory.GetFiles(outDir).Length == 1,
            $"the run must fail and leave '{file}' and its folder as they were; {run}");
    }
}
