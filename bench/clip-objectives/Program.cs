// Usage: dotnet ClipObjectives.dll <words file> key=value...
//   steps=400 layers=1 width=128 lr=1e-3 charw=1 spellw=0 seed=1 heldout=1000 batch=64
// Trains the small CLIP exactly as DemoRecipe.Clip configures it (system fonts only, default distortions, half the
// words stretched: DemoWords.ClipRenderOptions without backgrounds) and prints retrieval@1 among 100 and 1,000.
using System.Diagnostics;
using System.Globalization;
using Dptr.MLNet;
using Dptr.MLNet.Data;

var inv = CultureInfo.InvariantCulture;
var kv = args.Skip(1).Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
double Get(string k, double d) => kv.TryGetValue(k, out var v) ? double.Parse(v, inv) : d;
var words = File.ReadAllLines(args[0]).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
int seed = (int)Get("seed", 1);
var options = new WordImageClipOptions
{
    Width = (int)Get("width", 128), Layers = (int)Get("layers", 1), Heads = 4, Steps = (int)Get("steps", 400),
    BatchSize = (int)Get("batch", 64), HeldOutWords = (int)Get("heldout", 1000), Seed = seed, LearningRate = Get("lr", 1e-3),
    CharacterLossWeight = Get("charw", 1), SpellingLossWeight = Get("spellw", 0),
    Render = new SyntheticTextOptions { Seed = seed + 1000, StretchProbability = 0.5, IncludeBundledFonts = false },
    Progress = new Sync(p => { if (p.Step % 50 == 0) Console.WriteLine(string.Create(inv, $"step {p.Step} loss {p.Loss:F3} scale {p.LogitScale:F1} {p.StepsPerSecond:F2}/s")); }),
};
var clock = Stopwatch.StartNew();
var result = WordImageClipTrainer.Train(words, options);
using var clip = result.Model;
foreach (var r in result.After)
    Console.WriteLine(string.Create(inv, $"RESULT {string.Join(' ', args.Skip(1))} among {r.Candidates}: i2t {r.ImageToText:P1} t2i {r.TextToImage:P1} ({clock.Elapsed.TotalSeconds:F0} s)"));

sealed class Sync(Action<ClipTrainingProgress> f) : IProgress<ClipTrainingProgress> { public void Report(ClipTrainingProgress v) => f(v); }
