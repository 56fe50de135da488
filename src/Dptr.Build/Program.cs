namespace Dptr.Build;

/// <summary>Entry point of the build helper; see the project file for the verbs.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            switch (args.Length > 0 ? args[0] : "")
            {
                case "patch-glibcxx" when args.Length == 2 || (args.Length == 3 && args[2] == "--always"):
                    foreach (string line in ElfVersionPatcher.PatchFolder(args[1], "GLIBCXX_3.4.32", always: args.Length == 3))
                        Console.WriteLine($"dptr-build: {line}");
                    return 0;
                case "publicize" when args.Length == 3:
                    AssemblyPublicizer.Publicize(args[1], args[2]);
                    return 0;
                default:
                    Console.Error.WriteLine("usage: Dptr.Build patch-glibcxx <dir> [--always] | publicize <in.dll> <out.dll>");
                    return 2;
            }
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"dptr-build: error: {ex.Message}");
            return 1;
        }
    }
}
