using System.Globalization;
using System.Text;
using Dptr.MLNet.Tests.Common;
using Dptr.MLNet.Tests.MLNet;
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;

namespace Dptr.MLNet.Tests.Packaging;

/// <summary>
/// The "saved model zip deployment" the package promises: a brand-new console application outside the source tree,
/// referencing only the packed Dptr.MLNet (plus TorchSharp-cpu), loads a model zip made here, predicts an image through
/// PredictionEngine and TextRecognizer, and reads the same text as this process, both from its build output and from its
/// publish output (where the package's buildTransitive step must have made TorchSharp's native library loadable).
/// </summary>
[TestClass]
public sealed class PackageDeploymentTests
{
    private const string ProgramSource = """
        using Dptr.MLNet;
        using Microsoft.ML;

        // args: model.zip image.png
        var (engineText, engineConfidence) = WithPredictionEngine(args[0], args[1]);
        Console.WriteLine($"engine\t{engineText}\t{engineConfidence.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
        using var recognizer = TextRecognizer.Load(args[0]);
        var result = recognizer.Recognize(args[1]);
        Console.WriteLine($"facade\t{result.Text}\t{result.Confidence.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");

        static (string, float) WithPredictionEngine(string zip, string image)
        {
            var ml = new MLContext();
            var model = ml.Model.Load(zip, out _);
            using var engine = ml.Model.CreatePredictionEngine<Input, Output>(model);
            var p = engine.Predict(new Input { ImagePath = image });
            (model as IDisposable)?.Dispose();
            return (p.PredictedText, p.Confidence);
        }

        public sealed class Input { public string ImagePath { get; set; } = ""; }

        public sealed class Output { public string PredictedText { get; set; } = ""; public float Confidence { get; set; } }
        """;

    public sealed class ImageInput
    {
        public string ImagePath { get; set; } = "";
    }

    public sealed class Prediction
    {
        public string PredictedText { get; set; } = "";

        public float Confidence { get; set; }
    }

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void AFreshConsoleAppReferencingThePackagePredictsLikeThisProcess()
    {
        var feed = LocalPackageFeed.Get();
        Console.WriteLine($"packed Dptr.MLNet {feed.Version} in {feed.PackTime.TotalSeconds:F1} s");
        string images = DptrRecognizerTests.RenderFolder(DptrRecognizerTests.Vocabulary, 3, seed: 21);
        string work = TestData.NewTempDir();
        try
        {
            // The model: a tiny trained pipeline saved the way applications save it.
            string zip = Path.Combine(work, "model.zip");
            string image = Path.Combine(images, File.ReadAllLines(Path.Combine(images, "labels.tsv"))[0].Split('\t')[0]);
            var ml = new MLContext(1);
            var data = ml.Data.LoadFromImageFolder(images);
            var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, "ImagePath")
                .Append(ml.Transforms.ResizeImages("Image", 128, 32, resizing: ImageResizingEstimator.ResizingKind.Fill))
                .Append(ml.Transforms.ExtractPixels("Image"))
                .Append(ml.Transforms.DptrRecognizer(new DptrRecognizerOptions
                {
                    Width = 32,
                    Encoder = new EncoderOptions { Depth = 1, Heads = 2, FmuDropout = 0 },
                    Decoder = new DecoderOptions { Depth = 1, Heads = 2, Dropout = 0, PermutationCount = 2 },
                    BatchSize = 3,
                    MaxSteps = 2,
                }));
            string expectedText;
            float expectedConfidence;
            using (var model = pipeline.Fit(data))
            {
                ml.Model.Save(model, data.Schema, zip);
                using var engine = ml.Model.CreatePredictionEngine<ImageInput, Prediction>(model);
                var p = engine.Predict(new ImageInput { ImagePath = image });
                (expectedText, expectedConfidence) = (p.PredictedText, p.Confidence);
            }

            // The application: outside the source tree (its own empty Directory.Build.* stop MSBuild looking further up).
            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(work, "Directory.Build.targets"), "<Project />");
            File.Copy(feed.NuGetConfig, Path.Combine(work, "NuGet.config"));
            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Dptr.MLNet" Version="{feed.Version}" />
                    <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), ProgramSource);
            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = feed.PackagesFolder };
            string dotnet = LocalPackageFeed.Dotnet;

            var watch = System.Diagnostics.Stopwatch.StartNew();
            string build = LocalPackageFeed.Run(app, dotnet, ["build", "-c", "Release", "--disable-build-servers", "-nodeReuse:false"], env);
            var buildTime = watch.Elapsed;
            Assert.IsTrue(Directory.Exists(Path.Combine(feed.PackagesFolder, "dptr.mlnet", feed.Version)),
                "the package was restored from the local feed into the isolated packages folder");
            bool systemLacksVersion = !SystemLibStdCxxHas("GLIBCXX_3.4.32");
            Assert.AreEqual(systemLacksVersion, build.Contains("marked GLIBCXX_3.4.32 weak", StringComparison.Ordinal),
                $"the package's build step patches the output copy exactly when the system libstdc++ lacks GLIBCXX_3.4.32 (lacks: {systemLacksVersion}):\n{build}");
            string built = Path.Combine(app, "bin", "Release", "net10.0", "App.dll");
            AssertReads(LocalPackageFeed.Run(app, dotnet, [built, zip, image], env), expectedText, expectedConfidence, "build output");

            watch.Restart();
            string publishDir = Path.Combine(work, "published");
            string publish = LocalPackageFeed.Run(app, dotnet, ["publish", "-c", "Release", "--no-restore", "--disable-build-servers", "-nodeReuse:false", "-o", publishDir], env);
            var publishTime = watch.Elapsed;
            Assert.AreEqual(systemLacksVersion, publish.Contains($"weak in {publishDir}", StringComparison.Ordinal),
                $"the package's publish step patches the published copy exactly when the system needs it:\n{publish}");
            AssertReads(LocalPackageFeed.Run(app, dotnet, [Path.Combine(publishDir, "App.dll"), zip, image], env), expectedText, expectedConfidence, "publish output");
            Console.WriteLine($"consumer restore+build {buildTime.TotalSeconds:F1} s, publish {publishTime.TotalSeconds:F1} s; text '{expectedText}'");
        }
        finally
        {
            Directory.Delete(images, true);
            Directory.Delete(work, true);
        }
    }

    private static void AssertReads(string output, string text, float confidence, string what)
    {
        var lines = output.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.StartsWith("engine\t", StringComparison.Ordinal) || l.StartsWith("facade\t", StringComparison.Ordinal)).ToList();
        Assert.AreEqual(2, lines.Count, $"{what}: the app prints one engine and one facade line:\n{output}");
        foreach (string line in lines)
        {
            var parts = line.Split('\t');
            Assert.AreEqual(3, parts.Length, $"{what}: '{line}'");
            Assert.AreEqual(text, parts[1], $"{what}: {parts[0]} text differs from this process's PredictionEngine");
            Assert.AreEqual(confidence, float.Parse(parts[2], CultureInfo.InvariantCulture), 1e-5f, $"{what}: {parts[0]} confidence");
        }
    }

    /// <summary>Whether the system libstdc++ defines the symbol version (the same check the build step makes).</summary>
    private static bool SystemLibStdCxxHas(string version)
    {
        string[] candidates =
        [
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        ];
        string? found = candidates.FirstOrDefault(File.Exists);
        if (found is null) return false;
        return File.ReadAllBytes(found).AsSpan().IndexOf(Encoding.ASCII.GetBytes(version + "\0")) >= 0;
    }
}
