using System.Text.RegularExpressions;
using System.Xml.Linq;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Layering;

/// <summary>
/// Imports go one way (README, "Where things are"): each folder of <c>src/</c> is one namespace with one role, in a
/// layer, and may use only folders of lower layers; each executable uses only the core. Read from the source, so a
/// new <c>using</c> that points up fails here, named, before it becomes a cycle.
/// </summary>
public sealed partial class ImportDirectionTests
{
    /// <summary>The layers, lowest first; the README's map lists the same.</summary>
    internal static readonly Dictionary<string, int> Layer = new Dictionary<string, int>
    {
        ["Json"] = 0, // bytes to JSON and back, as the runtime writes it
        ["Files"] = 0, // the store, the walk, the identity step: system calls
        ["Healing"] = 1, // the heal and its decision: pure
        ["Logging"] = 2, // events, metrics, the log pipeline
        ["Configuration"] = 2, // options, their validation, the concierge gate
        ["Watching"] = 3, // the directory watch
        ["Guarding"] = 3, // the use case (Healer) and the loop that runs it
        ["Hosting"] = 4, // composition: the host and its services
        ["Cli"] = 5, // the command line of molecule-guardian(-otel)
        ["Telemetry"] = 6, // molecule-guardian-otel only: the OTLP exporter
        ["Supervision"] = 6, // molecule-guardian-supervise only: the container's entrypoint
        [""] = 7, // each executable's Program.cs
    };

    /// <summary>Which project holds each folder: the exporter and the supervisor are never compiled into the guardian.</summary>
    private static readonly Dictionary<string, string> OwnProject = new Dictionary<string, string>
    {
        ["Telemetry"] = "MoleculeGuardian.Otel",
        ["Supervision"] = "MoleculeGuardian.Supervise",
    };

    private static readonly string[] Executables = ["MoleculeGuardian", "MoleculeGuardian.Otel", "MoleculeGuardian.Supervise"];

    [Fact]
    public void Sources_EveryImport_PointsToALowerLayer()
    {
        var upward = new List<string>();
        foreach (var (file, from, to) in Imports())
        {
            Assert.True(Layer.ContainsKey(from), $"{file}: namespace MoleculeGuardian.{from} is in no layer; add it here and to the README's map");
            Assert.True(Layer.ContainsKey(to), $"{file}: MoleculeGuardian.{to} is in no layer");
            if (Layer[to] >= Layer[from])
            {
                upward.Add($"{file}: {Name(from)} (layer {Layer[from]}) uses {Name(to)} (layer {Layer[to]})");
            }
        }

        Assert.True(upward.Count == 0, "imports that do not point down:\n" + string.Join('\n', upward));
    }

    [Fact]
    public void Sources_EachFolder_IsOneNamespaceInOneProject()
    {
        var seen = new Dictionary<string, string>();
        foreach (var file in SourceFiles())
        {
            var relative = Path.GetRelativePath(RepoPaths.Of("src"), file).Split('/');
            var folder = relative.Length > 2 ? relative[1] : "";
            Assert.Equal(folder, Namespace(file));
            if (folder.Length == 0)
            {
                continue;
            }

            Assert.Equal(seen.TryAdd(folder, relative[0]) ? relative[0] : seen[folder], relative[0]);
            if (OwnProject.TryGetValue(folder, out var project))
            {
                Assert.Equal(project, relative[0]);
            }
        }

        Assert.True(seen.Count >= Layer.Count - 1, "every layer holds code: " + string.Join(", ", Layer.Keys.Except(seen.Keys)));
    }

    [Fact]
    public void Projects_TheCoreReferencesNoProjectAndNoExporter_EachExecutableOnlyTheCore()
    {
        var core = Project("MoleculeGuardian.Core");
        Assert.Empty(References(core, "ProjectReference"));
        Assert.DoesNotContain(References(core, "PackageReference"), p => p.StartsWith("OpenTelemetry", StringComparison.Ordinal));
        foreach (var name in Executables)
        {
            var project = Project(name);
            Assert.Equal("../Executable.props", Assert.Single(project.Descendants("Import")).Attribute("Project")?.Value);
            Assert.Empty(References(project, "ProjectReference"));
        }

        var shared = XDocument.Load(RepoPaths.Of("src", "Executable.props"));
        Assert.Equal("$(MSBuildThisFileDirectory)MoleculeGuardian.Core/MoleculeGuardian.Core.csproj", Assert.Single(References(shared, "ProjectReference")));
        Assert.Contains(References(Project("MoleculeGuardian.Otel"), "PackageReference"), p => p.StartsWith("OpenTelemetry", StringComparison.Ordinal));
        Assert.DoesNotContain(References(Project("MoleculeGuardian"), "PackageReference"), p => p.StartsWith("OpenTelemetry", StringComparison.Ordinal));
    }

    /// <summary>
    /// .NET's hashes and ciphers are OpenSSL on Linux, loaded at first use: on an image without libssl the AOT guardian
    /// aborted (exit 134) at its first torn read, which hashed the bytes with SHA256. The guardian and the supervisor
    /// use none of it; only the exporter's HTTPS does, in molecule-guardian-otel.
    /// </summary>
    [Fact]
    public void Sources_OutsideTheExporter_UseNoOpenSslBackedCryptography()
    {
        var users = SourceFiles()
            .Where(f => !f.Contains("/MoleculeGuardian.Otel/", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("System.Security.Cryptography", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f))
            .ToList();

        Assert.True(users.Count == 0, "System.Security.Cryptography (OpenSSL at run time) in: " + string.Join(", ", users));
    }

    [Fact]
    public void Layers_TheReadmeMap_NamesEveryFolder()
    {
        var readme = File.ReadAllText(RepoPaths.Of("README.md"));
        foreach (var folder in Layer.Keys.Where(f => f.Length > 0))
        {
            Assert.Matches(new Regex($@"^\| `src/MoleculeGuardian[.\w]*/{folder}/` \|", RegexOptions.Multiline), readme);
        }
    }

    /// <summary>Each use of another folder's namespace in a source file: a <c>using</c> or a qualified name.</summary>
    private static IEnumerable<(string File, string From, string To)> Imports()
    {
        foreach (var file in SourceFiles())
        {
            var from = Namespace(file);
            var text = File.ReadAllText(file);
            foreach (var to in QualifiedName().Matches(text).Select(m => m.Groups[1].Value).Distinct())
            {
                if (to != from && Layer.ContainsKey(to))
                {
                    yield return (Path.GetRelativePath(RepoPaths.Root, file), from, to);
                }
            }
        }
    }

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(RepoPaths.Of("src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    private static string Namespace(string file) =>
        FileNamespace().Match(File.ReadAllText(file)) is { Success: true } m ? m.Groups[1].Value : "";

    private static string Name(string folder) => folder.Length == 0 ? "Program" : folder;

    private static XDocument Project(string name) => XDocument.Load(RepoPaths.Of("src", name, name + ".csproj"));

    private static List<string> References(XDocument project, string kind) =>
        [.. project.Descendants(kind).Select(r => r.Attribute("Include")?.Value ?? "")];

    [GeneratedRegex(@"^namespace MoleculeGuardian(?:\.(\w+))?;", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();

    [GeneratedRegex(@"\bMoleculeGuardian\.(\w+)\b")]
    private static partial Regex QualifiedName();
}
