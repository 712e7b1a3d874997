using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace HybridCaching.Docs.Tests;

/// <summary>
/// Every ```csharp block of README.md, package-readme.md and docs/*.md compiles, so a doc can't drift from the API.
/// </summary>
/// <remarks>
/// The convention the docs follow:
/// <list type="bullet">
/// <item>A block compiles as a reader would paste it into a new .NET 10 web project (<c>dotnet new web</c>, the packages
/// referenced): with its own usings. The only usings it doesn't write are the SDK's implicit ones every such project has
/// (<see cref="SdkImplicitUsings"/>: System, System.Linq, ASP.NET Core's builder...). None of the library's or
/// Microsoft.Extensions.Caching's namespaces is among them, so a missing <c>using HybridCaching;</c> fails. No hidden
/// code.</item>
/// <item>A block is a complete file: top-level statements and/or types. A block whose code uses app types it doesn't show
/// (a data store, an item type) declares minimal stand-ins for them at its end.</item>
/// <item>A block that continues the one before it in the same file (it uses its variables) is preceded by the line
/// <c>&lt;!-- snippet: continues --&gt;</c>. It compiles joined to the blocks it continues: their usings first, then
/// their statements in order, then their types, as if they were one file.</item>
/// </list>
/// Only errors fail a block; warnings (an unused variable in a fragment) don't.
/// </remarks>
public sealed class DocSnippetTests
{
    private const string ContinuesMarker = "<!-- snippet: continues -->";

    private static readonly Lazy<IReadOnlyList<Snippet>> AllSnippets = new(() => Extract(FindRepositoryRoot()));

    private static readonly Lazy<MetadataReference[]> References = new(LoadReferences);

    private static readonly Lazy<ISourceGenerator[]> Generators = new(LoadGenerators);

    /// <summary>The global usings Microsoft.NET.Sdk.Web generates with ImplicitUsings on (the default of its templates).</summary>
    private static readonly SyntaxTree SdkImplicitUsings = CSharpSyntaxTree.ParseText(
        string.Concat(new[]
        {
            "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
            "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
            "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
            "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
        }.Select(ns => $"global using global::{ns};\n")),
        new CSharpParseOptions(LanguageVersion.Latest),
        "ImplicitUsings.g.cs");

    public static TheoryData<string> Blocks()
    {
        var data = new TheoryData<string>();
        foreach (var snippet in AllSnippets.Value)
        {
            data.Add(snippet.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_compiles(string block)
    {
        var snippets = AllSnippets.Value;
        var index = snippets.ToList().FindIndex(s => s.Name == block);
        Assert.True(index >= 0, $"no block {block}");

        var errors = CompileErrors(JoinedUpTo(snippets, index));
        Assert.True(errors.Count == 0, $"{block} does not compile:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
    }

    [Fact]
    public void The_docs_have_blocks_to_check()
    {
        var snippets = AllSnippets.Value;
        Assert.True(snippets.Count >= 20, $"found only {snippets.Count} blocks");
        Assert.Contains(snippets, s => s.File == "README.md");
        Assert.Contains(snippets, s => s.File == "package-readme.md");
    }

    [Fact]
    public void A_broken_block_fails_with_its_file_and_line()
    {
        var good = new Snippet(
            "docs/x.md", 10, "using HybridCaching;\n\nvar memory = new MemoryCache(100, 1 << 20, TimeSpan.FromMinutes(1));\n", false);
        var broken = new Snippet("docs/x.md", 20, "// uses the block above\nmemory.NoSuchMethod();\n", true);

        Assert.Empty(CompileErrors([good]));
        var error = Assert.Single(CompileErrors([good, broken]));
        Assert.StartsWith("docs/x.md:21:", error, StringComparison.Ordinal);
        Assert.Contains("CS1061", error, StringComparison.Ordinal);
    }

    /// <summary>The block at <paramref name="index"/> with the blocks it continues, in document order.</summary>
    private static List<Snippet> JoinedUpTo(IReadOnlyList<Snippet> snippets, int index)
    {
        var first = index;
        while (snippets[first].Continues && first > 0 && snippets[first - 1].File == snippets[index].File)
        {
            first--;
        }

        return snippets.Skip(first).Take(index - first + 1).ToList();
    }

    /// <summary>Compiles the blocks as one file; errors read "file:line: CSxxxx message", lines being the markdown's.</summary>
    private static List<string> CompileErrors(IReadOnlyList<Snippet> blocks)
    {
        string source;
        if (blocks.Count == 1)
        {
            source = LineDirective(blocks[0], 0) + blocks[0].Code;
        }
        else
        {
            // One file's order: usings, then statements, then types; each node keeps its markdown line.
            var usings = new StringBuilder();
            var statements = new StringBuilder();
            var types = new StringBuilder();
            foreach (var block in blocks)
            {
                var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(block.Code).GetRoot();
                foreach (var node in root.Usings.Cast<SyntaxNode>().Concat(root.Members))
                {
                    var target = node switch
                    {
                        UsingDirectiveSyntax => usings,
                        GlobalStatementSyntax => statements,
                        _ => types,
                    };
                    target.Append(LineDirective(block, node.GetLocation().GetLineSpan().StartLinePosition.Line))
                        .Append(node.ToString()).Append('\n');
                }
            }

            source = usings.Append(statements).Append(types).ToString();
        }

        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest));
        var executable = tree.GetRoot().DescendantNodes().OfType<GlobalStatementSyntax>().Any();
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [SdkImplicitUsings, tree],
            References.Value,
            new CSharpCompilationOptions(
                executable ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable));

        CSharpGeneratorDriver.Create(Generators.Value)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);

        return generated.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d =>
            {
                var span = d.Location.GetMappedLineSpan();
                return $"{span.Path}:{span.StartLinePosition.Line + 1}: {d.Id} {d.GetMessage()}";
            })
            .ToList();
    }

    /// <summary>Maps the following code to the markdown line of the block's line <paramref name="line"/> (0-based).</summary>
    private static string LineDirective(Snippet block, int line) => $"#line {block.FirstLine + line} \"{block.File}\"\n";

    /// <summary>Everything this test runs on: the framework (ASP.NET Core included), the libraries and their dependencies.</summary>
    private static MetadataReference[] LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToHashSet();
        foreach (var type in new[]
                 {
                     typeof(CacheFunc), typeof(Redis.RedisCache), typeof(AspNetCore.HybridResponseCachingOptions),
                     typeof(Microsoft.Extensions.DependencyInjection.HybridCachingServiceCollectionExtensions),
                 })
        {
            paths.Add(type.Assembly.Location);
        }

        return paths.Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray();
    }

    /// <summary>
    /// The source generators every .NET 10 project runs (System.Text.Json's among them, for a block's
    /// JsonSerializerContext): those of the targeting pack matching the running runtime.
    /// </summary>
    private static ISourceGenerator[] LoadGenerators()
    {
        // <dotnet>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll
        var dotnetRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var packs = new DirectoryInfo(Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref"));
        var pack = packs.GetDirectories($"{Environment.Version.Major}.*").MaxBy(d => Version.Parse(d.Name.Split('-')[0]))
            ?? throw new InvalidOperationException($"no .NET {Environment.Version.Major} targeting pack under {packs.FullName}");
        var loader = new AnalyzerLoader();
        return Directory.GetFiles(Path.Combine(pack.FullName, "analyzers", "dotnet", "cs"), "*.dll")
            .SelectMany(path => new AnalyzerFileReference(path, loader).GetGenerators(LanguageNames.CSharp))
            .ToArray();
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HybridCache.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no HybridCache.sln above {AppContext.BaseDirectory}");
    }

    private static List<Snippet> Extract(string root)
    {
        var files = new[] { Path.Combine(root, "README.md"), Path.Combine(root, "package-readme.md") }
            .Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal));
        var snippets = new List<Snippet>();
        foreach (var path in files)
        {
            var name = Path.GetRelativePath(root, path).Replace('\\', '/');
            var lines = File.ReadAllLines(path);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Trim() != "```csharp")
                {
                    continue;
                }

                var fence = i;
                var previous = fence - 1;
                while (previous >= 0 && lines[previous].Trim().Length == 0)
                {
                    previous--;
                }

                var code = new StringBuilder();
                for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
                {
                    code.Append(lines[i]).Append('\n');
                }

                var continues = previous >= 0 && lines[previous].Trim() == ContinuesMarker;
                snippets.Add(new Snippet(name, fence + 2, code.ToString(), continues));
            }
        }

        return snippets;
    }

    private sealed class AnalyzerLoader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public System.Reflection.Assembly LoadFromPath(string fullPath) => System.Reflection.Assembly.LoadFrom(fullPath);
    }

    /// <summary>A block: its file, the markdown line (1-based) of its first code line, its code.</summary>
    private sealed record Snippet(string File, int FirstLine, string Code, bool Continues)
    {
        /// <summary>The test case's name: the file and the line of the block's opening fence.</summary>
        public string Name => $"{File}:{FirstLine - 1}";
    }
}
