using System.Diagnostics;
using System.Text;
using System.Xml.Linq;

namespace Dptr.MLNet.Tests.Packaging;

/// <summary>
/// Packs <c>Dptr.MLNet</c> once per test run into a temporary folder and sets up an isolated NuGet environment for
/// projects that consume it: a fresh global-packages folder (so a package of the same version cached by an earlier run
/// is never used), the machine's packages folder as a read-only fallback (nothing else is downloaded), and the
/// repository's configured feeds for anything missing. Offline on a machine that has built the solution.
/// </summary>
internal static class LocalPackageFeed
{
    private static readonly object Gate = new();
    private static Feed? _feed;

    internal sealed record Feed(string Root, string Source, string PackagesFolder, string MachinePackagesFolder, string NuGetConfig, string Version, string RepoRoot, TimeSpan PackTime);

    public static string? FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dptr.MLNet.sln"))) return dir.FullName;
        }

        return null;
    }

    /// <summary>The configuration the tests were built in (bin/Release or bin/Debug), so pack reuses that build.</summary>
    private static string Configuration => AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";

    /// <summary>The packed library, its version and the NuGet settings to consume it.</summary>
    public static Feed Get()
    {
        lock (Gate)
        {
            if (_feed is not null) return _feed;
            string repo = FindRepoRoot() ?? throw new AssertInconclusiveException("Dptr.MLNet.sln not found above the test folder; the packaging tests need the source tree.");
            string root = TestData.NewTempDir();
            string source = Path.Combine(root, "feed");
            string packages = Path.Combine(root, "packages");
            Directory.CreateDirectory(source);
            Directory.CreateDirectory(packages);
            var watch = Stopwatch.StartNew();
            // --no-build: the solution was just built in this configuration (dotnet test builds it), so pack only collects it.
            Run(repo, Dotnet, ["pack", Path.Combine(repo, "src", "Dptr.MLNet", "Dptr.MLNet.csproj"), "-c", Configuration, "--no-build", "-o", source]);
            watch.Stop();
            var nupkg = Directory.GetFiles(source, "Dptr.MLNet.*.nupkg");
            if (nupkg.Length != 1) throw new InvalidOperationException($"expected one Dptr.MLNet package in {source}, found {nupkg.Length}");
            string version = Path.GetFileNameWithoutExtension(nupkg[0])["Dptr.MLNet.".Length..];
            string config = Path.Combine(root, "NuGet.config");
            WriteNuGetConfig(config, repo, source, packages);
            return _feed = new Feed(root, source, packages, MachinePackages, config, version, repo, watch.Elapsed);
        }
    }

    /// <summary>A NuGet.config: own global-packages folder, the machine's as fallback, the local feed plus the repository's feeds.</summary>
    private static void WriteNuGetConfig(string path, string repo, string source, string packages)
    {
        var repoSources = XDocument.Load(Path.Combine(repo, "NuGet.config")).Root?.Element("packageSources")?.Elements("add").ToList() ?? [];
        string machinePackages = MachinePackages;
        var doc = new XDocument(new XElement("configuration",
            new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", packages))),
            new XElement("packageSources", new XElement("clear"),
                new XElement("add", new XAttribute("key", "dptr-local"), new XAttribute("value", source)),
                repoSources.Select(e => new XElement(e))),
            new XElement("fallbackPackageFolders", new XElement("clear"),
                new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", machinePackages)))));
        doc.Save(path);
    }

    /// <summary>The machine's global packages folder (where the solution's own restore put its packages).</summary>
    private static string MachinePackages => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env
        ? env
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>The dotnet host running the tests (so child builds use the same SDK).</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Runs a process to completion; a non-zero exit fails with its output. Returns stdout + stderr.</summary>
    public static string Run(string workingDirectory, string file, IEnumerable<string> args, IDictionary<string, string>? environment = null, int timeoutSeconds = 600)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        // Child builds must not inherit the test host's MSBuild wiring.
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        if (environment is not null)
        {
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {string.Join(' ', args)}' did not finish in {timeoutSeconds} s:\n{output}");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"'{file} {string.Join(' ', args)}' (in {workingDirectory}) exited with {process.ExitCode}:\n{output}");
        return output.ToString();
    }
}
